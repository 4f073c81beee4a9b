package dev.jseek.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/**
 * What went wrong between this machine and a server, as one sentence naming the host, the cause and what to do. The
 * JDK's HTTP client says "java.net.ConnectException" with no message for both an unknown host and a refused
 * connection; the kind is in the cause chain.
 */
final class NetworkFailure {
    private NetworkFailure() {
    }

    /** {@code e} from talking to {@code url}, explained after {@code lead}, e.g. "Cannot download URL". */
    static IOException explain(String lead, URI url, IOException e) {
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
        String why;
        if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
            why = "the host name " + url.getHost() + " is unknown (no DNS answer); check the URL's spelling and this machine's "
                    + "network connection";
        } else if (has(e, HttpConnectTimeoutException.class)) {
            why = host + " did not accept a connection in time; check the network (a firewall or proxy), then run the command again";
        } else if (has(e, HttpTimeoutException.class)) {
            why = host + " stopped answering; run the command again (a download resumes where it stopped)";
        } else if (has(e, SSLException.class)) {
            why = "the TLS handshake with " + host + " failed (" + message(find(e, SSLException.class)) + "); check that the server speaks "
                    + "HTTPS on that port (or use http://), and that this machine's clock and CA certificates are right";
        } else if (has(e, NoRouteToHostException.class)) {
            why = "there is no route to " + host + "; check this machine's network connection";
        } else if (has(e, ConnectException.class)) {
            why = host + " refused the connection; check the host and port in the URL, and that the server is up";
        } else {
            why = "the connection to " + host + " failed (" + message(e) + "); run the command again (a download resumes where it stopped)";
        }
        return new IOException(lead + ": " + why + ".", e);
    }

    private static boolean has(Throwable t, Class<? extends Throwable> kind) {
        return find(t, kind) != null;
    }

    private static Throwable find(Throwable t, Class<? extends Throwable> kind) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (kind.isInstance(c)) {
                return c;
            }
        }
        return null;
    }

    /** The deepest message in the chain: the JDK's outer exceptions often carry none, or only the inner one's class. */
    private static String message(Throwable t) {
        String found = null;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank() && !c.getMessage().startsWith(c.getClass().getName())) {
                found = c.getMessage();
            }
        }
        return found != null ? found : "no reason given";
    }
}

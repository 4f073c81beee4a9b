package dev.jseek.cli;

import dev.jseek.RpcWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** `jseek worker`: lends this machine's devices to a model run elsewhere (`--rpc host:port`). */
@Command(name = "worker", description = "Serve this machine's CPU/GPU to other jseek processes (multi-machine, ggml RPC).")
final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-H", "--host"}, paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE}: this machine only)")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "50052", description = "port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--cache", paramLabel = "DIR", description = "cache received weights here, so a reload skips the transfer (default: no cache)")
    Path cache;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        err.println("jseek worker: WARNING: the RPC protocol has no authentication and no encryption; anyone who can reach "
                + host + ":" + port + " can use this machine's devices and memory.");
        if (!InetAddress.getByName(host).isLoopbackAddress()) {
            err.println("jseek worker: WARNING: listening beyond this machine (" + host + "); do this only on a network you trust.");
        }
        err.println("jseek worker: serving on " + host + ":" + port + " (Ctrl-C to stop); use it with --rpc " + host + ":" + port);
        err.flush();
        RpcWorker.serve(host, port, threads != null ? threads : Runtime.getRuntime().availableProcessors(), cache);
        return ExitCodes.FAILURE; // serve() returns only by throwing
    }
}

package dev.jseek.cli;

import dev.jseek.models.Catalog;
import dev.jseek.models.CatalogEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** `jseek pull NAME|URL`: downloads with a progress bar, resumes an interrupted download, checks the SHA-256. */
@Command(name = "pull", description = "Download a model from the catalog ('jseek models') or a URL; resumes and checks it.")
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME|URL", description = "a catalog name or an http(s) URL of a .gguf file")
    String what;

    @Option(names = "--dir", paramLabel = "DIR", description = "where models go (default: $JSEEK_MODELS or ~/.local/share/jseek/models)")
    Path dir;

    @Option(names = "--sha256", paramLabel = "HEX", description = "the expected SHA-256 of a URL download (default: the one the server sends, as Hugging Face does)")
    String sha256;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<String> urls;
        List<String> checksums;
        if (what.startsWith("http://") || what.startsWith("https://")) {
            urls = List.of(what);
            checksums = sha256 == null ? List.of() : List.of(sha256);
        } else {
            CatalogEntry entry = Catalog.find(what).orElseThrow(() -> new IllegalArgumentException(
                    "no model named '" + what + "' in the catalog; 'jseek models' lists them, or give a URL"));
            urls = entry.urls();
            checksums = entry.sha256();
        }
        Path target = dir != null ? dir : defaultDir();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        ModelDownloader downloader = new ModelDownloader();
        Path first = null;
        for (int i = 0; i < urls.size(); i++) {
            URI url = parse(urls.get(i));
            String name = fileName(url);
            ModelDownloader.Outcome outcome;
            try (ProgressReporter progress = ProgressReporter.start(err, name, -1, "MiB", 1 << 20)) {
                outcome = downloader.download(url, target.resolve(name), checksums.isEmpty() ? null : checksums.get(i),
                        (done, total) -> {
                            if (total > 0) {
                                progress.maxHint(total);
                            }
                            progress.stepTo(done);
                        });
            }
            err.println("jseek: " + outcome.file() + ": " + outcome.bytes() + " bytes, checked against " + outcome.checkedAgainst());
            first = first == null ? outcome.file() : first;
        }
        out.println(first); // the path to pass to --model (the first part of a split model)
        return ExitCodes.OK;
    }

    private static URI parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a valid URL (" + e.getReason() + " at index " + e.getIndex()
                    + "); give the address of a .gguf file, e.g. https://huggingface.co/ORG/REPO/resolve/main/MODEL.gguf");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("the URL " + url + " has no host name; give the address of a .gguf file, "
                    + "e.g. https://huggingface.co/ORG/REPO/resolve/main/MODEL.gguf");
        }
        return uri;
    }

    /** The name the file gets in --dir: the URL's last path segment, which must name a file. */
    static String fileName(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("\\")) {
            throw new IllegalArgumentException("the URL " + url + " names no file; give the address of the .gguf file itself, "
                    + "e.g. https://huggingface.co/ORG/REPO/resolve/main/MODEL.gguf");
        }
        return name;
    }

    static Path defaultDir() {
        String env = System.getenv("JSEEK_MODELS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return data.resolve("jseek").resolve("models");
    }
}

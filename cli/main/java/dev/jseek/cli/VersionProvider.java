package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.JseekException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * `jseek --version`: what a bug report needs. jseek's version (from the Maven project, via a filtered resource),
 * the pinned llama.cpp release, the backends this build registered and the devices found. When the libraries do
 * not load, the lines before say so and the versions are still printed.
 */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        List<String> lines = new ArrayList<>();
        lines.add("jseek " + jseekVersion());
        lines.add("llama.cpp " + Backend.pinnedLlamaVersion() + " (pinned)");
        try {
            Backend backend = Backend.get();
            lines.add("backends: " + String.join(", ", backend.backendNames()) + " (libraries in " + backend.libraryDir() + ")");
            lines.add("devices:  " + backend.devices().stream().map(DevicesCommand::summary).collect(Collectors.joining("; ")));
            backend.unavailableBackends().forEach(b -> lines.add("unusable: " + b.notice()));
        } catch (JseekException e) {
            lines.add("backends: none loaded: " + e.getMessage());
        }
        return lines.toArray(String[]::new);
    }

    /** The project version Maven put into jseek.properties, or a sentence saying why there is none. */
    static String jseekVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("jseek.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String version = p.getProperty("jseek.version", "");
        return version.isEmpty() || version.startsWith("${") ? "(unknown version: built without Maven's resource filtering)" : version;
    }
}

package dev.jseek.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.models.Catalog;
import dev.jseek.models.CatalogEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** `jseek models`: the real DeepSeek GGUFs `jseek pull` knows, with size and the hardware they need. */
@Command(name = "models", description = "List the DeepSeek GGUFs that 'jseek pull NAME' downloads.")
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "the catalog as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Catalog.entries()));
            return ExitCodes.OK;
        }
        out.printf(Locale.ROOT, "%-24s %-8s %8s %6s  %s%n", "NAME", "QUANT", "SIZE", "RAM", "WHAT IT IS / WHAT IT NEEDS");
        for (CatalogEntry e : Catalog.entries()) {
            out.printf(Locale.ROOT, "%-24s %-8s %6.1f GB %3d GB  %s%n%52s%s%n", e.name(), e.quant(), e.sizeBytes() / 1e9,
                    e.memoryGiB(), e.model() + ": " + e.kind(), "", e.advice());
        }
        out.println();
        out.println("Sizes and memory are the publishers' figures, rounded; the addresses have not been tried from a machine without internet.");
        out.println("The catalog holds no checksums of its own (none of these files could be downloaded here to take one): 'jseek pull'");
        out.println("checks each file against the SHA-256 Hugging Face sends with it (X-Linked-ETag) and says what it checked against.");
        return ExitCodes.OK;
    }
}

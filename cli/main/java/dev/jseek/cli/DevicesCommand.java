package dev.jseek.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.Backend;
import dev.jseek.ModelParams;
import dev.jseek.UnavailableBackend;
import dev.jseek.models.ModelFacts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** `jseek devices`: the backends this build has and the devices they found, with what each is and its memory. */
@Command(name = "devices", description = "List the backends of this llama.cpp build and the devices they found, with their memory.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rpc", paramLabel = "HOST:PORT[,…]", split = ",",
            description = "also list the devices of these RPC workers ('jseek worker') (default: none)")
    List<String> rpcServers = List.of();

    @Option(names = "--json", description = "the backends and devices as JSON")
    boolean json;

    @Override
    public Integer call() {
        ModelParams.defaults().withRpcServers(rpcServers); // checks each address before anything connects
        Backend backend = Backend.get();
        rpcServers.forEach(backend::addRpcServer);
        List<String> backends = backend.backendNames();
        List<Backend.Device> devices = backend.devices();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            root.put("llama_cpp", backend.llamaVersion());
            root.put("library_dir", backend.libraryDir().toString());
            backends.forEach(root.putArray("backends")::add);
            ArrayNode unusable = root.putArray("unavailable_backends");
            for (UnavailableBackend b : backend.unavailableBackends()) {
                unusable.addObject().put("name", b.name()).put("module", b.module().toString()).put("reason", b.reason());
            }
            ArrayNode list = root.putArray("devices");
            for (Backend.Device d : devices) {
                ObjectNode node = list.addObject();
                node.put("name", d.name());
                node.put("kind", kind(d));
                node.put("description", d.description());
                node.put("free_bytes", d.freeBytes());
                node.put("total_bytes", d.totalBytes());
            }
            out.println(root.toPrettyString());
            out.flush();
            return ExitCodes.OK;
        }
        out.println("llama.cpp " + backend.llamaVersion() + ", libraries in " + backend.libraryDir());
        out.println("backends: " + String.join(", ", backends));
        backend.unavailableBackends().forEach(b -> out.println(b.notice()));
        out.println();
        out.printf(Locale.ROOT, "%-10s %-40s %-23s %s%n", "DEVICE", "WHAT IT IS", "MEMORY (FREE / TOTAL)", "DESCRIPTION");
        for (Backend.Device d : devices) {
            out.printf(Locale.ROOT, "%-10s %-40s %-23s %s%n", d.name(), kind(d), memory(d), d.description());
        }
        if (devices.stream().noneMatch(DevicesCommand::offloads)) {
            out.println();
            out.println("No GPU and no RPC worker: every layer runs on the CPU, and -ngl has nothing to offload to.");
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** Whether -ngl can put layers on this device. */
    private static boolean offloads(Backend.Device d) {
        return d.type() == Backend.Device.Type.GPU || d.type() == Backend.Device.Type.IGPU;
    }

    /** What a device is, in words a user can act on. */
    static String kind(Backend.Device d) {
        if (d.name().startsWith("RPC")) {
            return "RPC worker at " + d.description();
        }
        return switch (d.type()) {
            case CPU -> "CPU (system RAM)";
            case GPU -> "GPU (own memory; -ngl offloads here)";
            case IGPU -> "integrated GPU (shares system RAM)";
            case ACCEL -> "accelerator for the CPU backend (BLAS …)";
            case META, OTHER -> "other device";
        };
    }

    private static String memory(Backend.Device d) {
        if (d.totalBytes() < 0) {
            return "unknown (not answering)";
        }
        if (d.totalBytes() == 0) {
            return "-";
        }
        return ModelFacts.humanBytes(d.freeBytes()) + " / " + ModelFacts.humanBytes(d.totalBytes());
    }

    /** One device in a few words, for `jseek --version`. */
    static String summary(Backend.Device d) {
        return d.name() + " (" + d.description() + (d.totalBytes() > 0 ? ", " + ModelFacts.humanBytes(d.totalBytes()) : "") + ")";
    }
}

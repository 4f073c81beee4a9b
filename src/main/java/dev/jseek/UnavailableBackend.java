package dev.jseek;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A GPU backend this llama.cpp build carries as a module (libggml-cuda, libggml-metal …) that cannot be used on this
 * machine: the module did not load (no driver library) or found no device. ggml goes on with the CPU.
 *
 * @param name   the backend as ggml names it ("CUDA", "MTL", "Vulkan" …)
 * @param module the module's file
 * @param reason llama.cpp's own words for why, e.g. "no CUDA-capable device is detected"
 */
public record UnavailableBackend(String name, Path module, String reason) {
    /** libggml-NAME.so / .dylib / .dll for the GPU backends ggml offers as modules. */
    private static final Pattern GPU_MODULE =
            Pattern.compile("(?:lib)?ggml-(cuda|metal|vulkan|hip|musa|sycl|opencl|cann)\\.(?:so|dylib|dll)");
    /** ggml's prefix on its log lines ("ggml_cuda_init: "), left out of a reason. */
    private static final Pattern FUNCTION_PREFIX = Pattern.compile("^[a-z_]+: ");

    /** One line for the user: what is built, why it cannot be used, and what happens instead. */
    public String notice() {
        return name + " is built but unavailable here (" + reason + "); running on the CPU.";
    }

    /** The GPU modules in {@code dir} whose backend is missing from {@code registered} (name → devices) or has no device. */
    static List<UnavailableBackend> find(Path dir, Map<String, Long> registered, List<String> loadLog) {
        List<UnavailableBackend> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path module : files.sorted().toList()) {
                Matcher m = GPU_MODULE.matcher(module.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                String name = registeredName(m.group(1));
                Long devices = registered.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                        .map(Map.Entry::getValue).findFirst().orElse(null);
                if (devices == null || devices == 0) {
                    found.add(new UnavailableBackend(name, module, reason(module, name, devices != null, loadLog)));
                }
            }
        } catch (IOException e) {
            return List.of(); // the libraries loaded from there: an unreadable listing only loses this report
        }
        return List.copyOf(found);
    }

    /** The name ggml's module registers under (GGML_CUDA_NAME, GGML_METAL_NAME …). */
    private static String registeredName(String module) {
        return switch (module) {
            case "cuda" -> "CUDA";
            case "metal" -> "MTL";
            case "vulkan" -> "Vulkan";
            case "hip" -> "ROCm";
            default -> module.toUpperCase(Locale.ROOT);
        };
    }

    /** The last log line about this module (a failed load names its file) or backend (a failed device query). */
    private static String reason(Path module, String name, boolean loaded, List<String> log) {
        String file = module.getFileName().toString();
        for (int i = log.size() - 1; i >= 0; i--) {
            String line = log.get(i).strip();
            if (!loaded && line.contains(file)) {
                int colon = line.indexOf(file + ": ");
                return colon >= 0 ? line.substring(colon + file.length() + 2) : FUNCTION_PREFIX.matcher(line).replaceFirst("");
            }
            if (loaded && line.contains(name) && line.toLowerCase(Locale.ROOT).contains("fail")) {
                String text = FUNCTION_PREFIX.matcher(line).replaceFirst("");
                int colon = text.lastIndexOf(": ");
                return colon >= 0 ? text.substring(colon + 2) : text;
            }
        }
        return loaded ? "it found no device" : "its module did not load";
    }
}

package dev.jseek.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Finds the llama.cpp build (made by native/build.sh) and loads its libraries into this class loader, so that
 * the jextract bindings (which look symbols up through the loader) resolve. Search order:
 * system property {@code jseek.native.dir} → environment {@code JSEEK_NATIVE_DIR} → a natives jar on the class path
 * (extracted once into {@code $JSEEK_CACHE/natives}, see {@link NativesJar}) → the native cache
 * ({@code $JSEEK_CACHE/native}, default {@code ~/.cache/jseek/native}) → each {@code java.library.path} entry.
 */
public final class NativeLibraries {
    public static final String PROPERTY = "jseek.native.dir";
    public static final String ENV = "JSEEK_NATIVE_DIR";

    /** Loaded in dependency order; libggml-rpc is a backend module but its API is bound directly. */
    private static final List<String> LIBRARIES = List.of("ggml-base", "ggml", "llama");
    private static final String OPTIONAL_RPC = "ggml-rpc";
    /** jseek's own C (native/shim): a native abort check, so ggml's per-node check needs no upcall. */
    private static final String OPTIONAL_SHIM = "jseek-shim";
    /** jseek's C ABI over llama.cpp's common library (native/shim/jseek_chat.h, jseek_fit.h); needs libllama-common. */
    private static final String OPTIONAL_CHAT = "jseek-common";
    private static final String JAR_ORIGIN = "natives jar";

    private NativeLibraries() {
    }

    /** The pinned llama.cpp release (native/llama.cpp.properties). */
    public static String pinnedVersion() {
        Properties p = new Properties();
        try (InputStream in = NativeLibraries.class.getResourceAsStream("/dev/jseek/native/llama.cpp.properties")) {
            if (in == null) {
                throw new IllegalStateException("llama.cpp.properties is missing from the jseek runtime jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("llama.version");
    }

    /** Root of jseek's cache: JSEEK_CACHE, else $XDG_CACHE_HOME/jseek, else ~/.cache/jseek (same rule as build.sh). */
    public static Path cacheRoot() {
        String explicit = System.getenv("JSEEK_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        // $HOME as the shell sees it (build.sh), not user.home: the two differ under sudo, in containers, for CI users.
        String home = System.getenv("HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache");
        return base.resolve("jseek");
    }

    /** Loads the libraries from the first directory that has them and returns that directory. */
    public static Path load() {
        List<String> tried = new ArrayList<>();
        // each source is asked only when the ones before it had nothing: the natives jar is not extracted needlessly
        List<Supplier<List<Candidate>>> sources = List.of(NativeLibraries::overrides, () -> classPathNatives(tried),
                NativeLibraries::cacheCandidates, NativeLibraries::libraryPath);
        for (Supplier<List<Candidate>> source : sources) {
            Optional<Path> loaded = loadFirst(source.get(), tried);
            if (loaded.isPresent()) {
                return loaded.get();
            }
        }
        throw notFound(tried);
    }

    public static Path loadFirst(List<Candidate> candidates) {
        List<String> tried = new ArrayList<>();
        return loadFirst(candidates, tried).orElseThrow(() -> notFound(tried));
    }

    private static Optional<Path> loadFirst(List<Candidate> candidates, List<String> tried) {
        for (Candidate candidate : candidates) {
            Path dir = candidate.dir();
            Path llama = dir.resolve(System.mapLibraryName("llama"));
            if (!Files.isRegularFile(llama)) {
                tried.add(candidate.origin() + " " + dir + " (no " + llama.getFileName() + ")");
                continue;
            }
            try {
                for (String name : LIBRARIES) {
                    System.load(dir.resolve(System.mapLibraryName(name)).toAbsolutePath().toString());
                }
                for (String optional : List.of(OPTIONAL_RPC, OPTIONAL_SHIM, OPTIONAL_CHAT)) {
                    Path lib = dir.resolve(System.mapLibraryName(optional));
                    if (Files.isRegularFile(lib)) {
                        System.load(lib.toAbsolutePath().toString());
                    }
                }
                return Optional.of(dir);
            } catch (UnsatisfiedLinkError e) {
                String advice = candidate.origin().startsWith(JAR_ORIGIN)
                        ? "install the system library it names, or use the natives jar built for this platform"
                        : "rebuild them with native/build.sh";
                throw new LoadFailure("The llama.cpp libraries in " + dir + " cannot be loaded (" + e.getMessage()
                        + "); " + advice + ".", e);
            }
        }
        return Optional.empty();
    }

    private static LoadFailure notFound(List<String> tried) {
        return new LoadFailure("The llama.cpp libraries were not found; add the natives jar (dev.jseek:jseek-natives, classifier "
                + platform() + ") to the class path, build them with native/build.sh, or set " + PROPERTY + " / " + ENV
                + " to their directory. Tried: " + String.join("; ", tried));
    }

    /** The libraries cannot be found or loaded; the message says where it looked and what to do. */
    public static final class LoadFailure extends RuntimeException {
        LoadFailure(String message) {
            super(message);
        }

        LoadFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A directory to try, and where the suggestion came from (for the error message). */
    record Candidate(String origin, Path dir) {
    }

    /** The developer's explicit choices: -Djseek.native.dir, then JSEEK_NATIVE_DIR. */
    private static List<Candidate> overrides() {
        List<Candidate> found = new ArrayList<>();
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            found.add(new Candidate("-D" + PROPERTY + "=", Path.of(property)));
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            found.add(new Candidate(ENV + "=", Path.of(env)));
        }
        return found;
    }

    /** A natives jar on the class path (a GPU set before the CPU set, see {@link NativesJar#find}), extracted into the cache once. */
    private static List<Candidate> classPathNatives(List<String> tried) {
        Optional<NativesJar> jar = NativesJar.find(NativeLibraries.class.getClassLoader(), platform());
        if (jar.isEmpty()) {
            tried.add("class path (no " + NativesJar.ROOT + platform() + "/natives.properties)");
            return List.of();
        }
        return List.of(new Candidate(JAR_ORIGIN + " " + jar.get().source(), jar.get().extract(cacheRoot().resolve("natives"))));
    }

    private static List<Candidate> cacheCandidates() {
        List<Candidate> found = new ArrayList<>();
        Path cache = cacheRoot().resolve("native");
        List<Path> entries = cacheEntries(cache);
        if (entries.isEmpty()) {
            found.add(new Candidate("native cache", cache.resolve(entryPrefix() + "*")));
        }
        entries.forEach(e -> found.add(new Candidate("native cache", e)));
        return found;
    }

    private static List<Candidate> libraryPath() {
        List<Candidate> found = new ArrayList<>();
        for (String entry : System.getProperty("java.library.path", "").split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                found.add(new Candidate("java.library.path", Path.of(entry)));
            }
        }
        return found;
    }

    /** "linux-x86_64": this machine as build.sh names it, and the natives jar's classifier. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        os = os.startsWith("mac") ? "darwin" : os.startsWith("windows") ? "windows" : os;
        String arch = System.getProperty("os.arch");
        arch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return os + "-" + arch;
    }

    /** "llama.cpp-v0.5.0-linux-x86_64-": the part of build.sh's cache key this runtime can match. */
    public static String entryPrefix() {
        return "llama.cpp-" + pinnedVersion() + "-" + platform() + "-";
    }

    /**
     * Complete cache entries for this release and platform, in build.sh's own order of preference: a GPU build whose
     * GPU can be there (Metal on macOS, CUDA where an NVIDIA driver is present, Vulkan where a GPU render node is),
     * then CPU builds (compiled ones before the prebuilt CPU set), then GPU builds this machine cannot use (they would
     * only run on the CPU after a failed GPU load); the newest first within each.
     */
    private static List<Path> cacheEntries(Path cache) {
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        String prefix = entryPrefix();
        try (Stream<Path> dirs = Files.list(cache)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(prefix))
                    .filter(d -> Files.isRegularFile(d.resolve(".complete")))
                    .sorted(Comparator.comparingInt(NativeLibraries::preference).thenComparing(NativeLibraries::modified,
                            Comparator.reverseOrder()))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * 0: a GPU build this machine can use; 1: a CPU build; 2: the prebuilt CPU set (prebuilt.sh cpu: no OpenMP, no RPC,
     * no reference tools, so a source build beside it wins); 3: a CUDA or Vulkan build without its GPU here.
     */
    static int preference(Path entry) {
        String name = entry.getFileName().toString();
        if (name.contains("+metal")) {
            return 0;
        }
        for (String gpu : NativesJar.GPU_SETS) {
            if (name.contains("+" + gpu)) {
                return gpuPresent(gpu) ? 0 : 3;
            }
        }
        return name.contains("-cpu-prebuilt-") ? 2 : 1;
    }

    /**
     * Whether the GPU a backend set needs can be on this machine, judged without loading anything: an NVIDIA driver's
     * control device for "cuda", a GPU render node for "vulkan". Whether the module then finds a device is ggml's to say.
     */
    static boolean gpuPresent(String gpuSet) {
        return switch (gpuSet) {
            case "cuda" -> Files.exists(Path.of("/dev/nvidiactl"));
            case "vulkan" -> hasGpuRenderNode();
            default -> false;
        };
    }

    /** A DRM render node (/dev/dri/renderD*): a GPU a Vulkan driver can reach. Lavapipe, on the CPU, needs none. */
    private static boolean hasGpuRenderNode() {
        try (Stream<Path> nodes = Files.list(Path.of("/dev/dri"))) {
            return nodes.anyMatch(n -> n.getFileName().toString().startsWith("renderD"));
        } catch (IOException e) {
            return false;
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p.resolve(".complete")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}

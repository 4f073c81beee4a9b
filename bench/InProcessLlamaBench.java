import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama-bench's own code, run inside this JVM. The llama-bench executable is a one-line main() around
 * {@code llama_bench(int, char**)} in libllama-bench-impl.so, which native/build.sh builds beside it; calling that
 * function here runs exactly what the executable runs. With jseek's SpeedBenchmark in the same process, the two
 * can alternate a few seconds apart: same process, same libraries, same moment on a shared machine whose speed
 * drifts by 2× within a minute, so per-token costs of a few percent become measurable.
 *
 * <p>llama_bench prints its table to file descriptor 1; {@link #run} points that at a temporary file for the call.
 * It also replaces llama.cpp's log callback with a silent one (unless given -v), so after the first call this JVM's
 * llama.cpp messages are no longer relayed to jseek's log: fine for a benchmark, not for anything else.
 */
final class InProcessLlamaBench {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final int STDOUT = 1;

    private final MethodHandle llamaBench;
    private final MethodHandle dup;
    private final MethodHandle dup2;
    private final MethodHandle close;
    private final MethodHandle creat;
    private final MethodHandle fflush;

    InProcessLlamaBench(Path nativeDir) {
        Path library = nativeDir.resolve("libllama-bench-impl.so");
        SymbolLookup bench = SymbolLookup.libraryLookup(library, Arena.global());
        // the C++ name of int llama_bench(int, char **)
        llamaBench = LINKER.downcallHandle(bench.find("_Z11llama_benchiPPc").orElseThrow(() ->
                new IllegalStateException(library + " has no llama_bench(int, char**); rebuild the native libraries (native/build.sh)")),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        SymbolLookup libc = LINKER.defaultLookup();
        dup = libcFunction(libc, "dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        dup2 = libcFunction(libc, "dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        close = libcFunction(libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        creat = libcFunction(libc, "creat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        fflush = libcFunction(libc, "fflush", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static MethodHandle libcFunction(SymbolLookup libc, String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(libc.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)), descriptor);
    }

    /** Runs llama-bench with these arguments (no program name) in this process and returns what it printed. */
    String run(List<String> arguments) throws IOException {
        List<String> argv = new ArrayList<>(List.of("llama-bench"));
        argv.addAll(arguments);
        Path out = Files.createTempFile("llama-bench", ".out");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(ADDRESS, argv.size() + 1); // zeroed: argv[argc] is NULL
            for (int i = 0; i < argv.size(); i++) {
                array.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
            }
            int rc = withStdoutTo(out, arena, () -> (int) llamaBench.invokeExact(argv.size(), array));
            String printed = Files.readString(out);
            if (rc != 0) {
                throw new IllegalStateException("llama-bench (in-process) failed with " + rc + " for " + arguments + ": " + printed);
            }
            return printed;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private interface NativeCall {
        int call() throws Throwable;
    }

    private int withStdoutTo(Path file, Arena arena, NativeCall body) {
        try {
            System.out.flush();
            int ignored = (int) fflush.invokeExact(MemorySegment.NULL);
            int saved = (int) dup.invokeExact(STDOUT);
            int fd = (int) creat.invokeExact(arena.allocateFrom(file.toString()), 0600);
            if (saved < 0 || fd < 0) {
                throw new IllegalStateException("cannot redirect standard output to " + file);
            }
            ignored = (int) dup2.invokeExact(fd, STDOUT);
            ignored = (int) close.invokeExact(fd);
            try {
                return body.call();
            } finally {
                ignored = (int) fflush.invokeExact(MemorySegment.NULL); // C stdio buffers output sent to a file
                ignored = (int) dup2.invokeExact(saved, STDOUT);
                ignored = (int) close.invokeExact(saved);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}

package dev.jseek;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shim's abort handler (native/shim/jseek_abort.c) promises that ggml ending the process over a lost RPC worker
 * is one line on stderr and exit code 5. ggml-rpc's own messages for a worker that cannot be connected to or
 * answers no handshake end in a newline; each is sent through ggml's real ggml_abort in a child JVM, and the whole
 * of its stderr must be that one line. (WorkerCommandTest covers a worker killed mid-generation end to end.)
 */
class AbortHandlerTest {
    private static final Pattern ONE_LINE = Pattern.compile(
            "jseek: an RPC worker stopped answering or could not be reached \\([^\\n]*ggml-rpc\\.cpp:\\d+: [^\\n]+\\); "
                    + "restart it \\(jseek worker\\) and run again\\.\\R");

    @ParameterizedTest
    @ValueSource(strings = {"Failed to connect to %s\n", "RPC handshake failed for %s\n", "Remote RPC server crashed or returned malformed response"})
    void anRpcAbortIsOneLineAndExitCodeFive(String format, @TempDir Path dir) throws Exception {
        Path err = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
                "/src/ggml/src/ggml-rpc/ggml-rpc.cpp", "547", format, "127.0.0.1:50052"))
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(err.toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not end");
        String stderr = Files.readString(err);
        assertEquals(5, child.exitValue(), stderr);
        assertTrue(ONE_LINE.matcher(stderr).matches(), "stderr is exactly one line:\n" + stderr);
    }

    /** Loads the runtime (which installs the handler), then calls ggml_abort(file, line, format, argument). */
    public static final class Child {
        public static void main(String[] args) throws Throwable {
            Backend.get();
            MemorySegment abort = SymbolLookup.loaderLookup().find("ggml_abort").orElseThrow();
            MethodHandle call = Linker.nativeLinker().downcallHandle(abort,
                    FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS, ADDRESS), Linker.Option.firstVariadicArg(3));
            try (Arena arena = Arena.ofConfined()) {
                call.invokeExact(arena.allocateFrom(args[0]), Integer.parseInt(args[1]), arena.allocateFrom(args[2]),
                        arena.allocateFrom(args[3]));
            }
            System.exit(1); // ggml_abort returned: the handler did not end the process
        }
    }
}

package dev.jseek.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExitCodesTest {
    /** Exit code 5 is set in C (the abort handler), so nothing else ties it to the CLI's list: this does. */
    @Test
    void theLostRpcWorkerCodeIsTheNativeShims() throws IOException {
        Path shim = Path.of(System.getProperty("jseek.test.root", ".."), "native", "shim", "jseek_abort.c");
        Matcher m = Pattern.compile("#define JSEEK_EXIT_NATIVE_FAILURE (\\d+)").matcher(Files.readString(shim));
        assertTrue(m.find(), shim + " defines JSEEK_EXIT_NATIVE_FAILURE");
        assertEquals(ExitCodes.RPC_LOST, Integer.parseInt(m.group(1)));
    }
}

package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExitCodesTest {
    private static final Path MODEL = TestModels.tiny();

    /** Exit code 5 is set in C (the abort handler), so nothing else ties it to the CLI's list: this does. */
    @Test
    void theLostRpcWorkerCodeIsTheNativeShims() throws IOException {
        Path shim = Path.of(System.getProperty("jseek.test.root", ".."), "native", "shim", "jseek_abort.c");
        Matcher m = Pattern.compile("#define JSEEK_EXIT_NATIVE_FAILURE (\\d+)").matcher(Files.readString(shim));
        assertTrue(m.find(), shim + " defines JSEEK_EXIT_NATIVE_FAILURE");
        assertEquals(ExitCodes.RPC_LOST, Integer.parseInt(m.group(1)));
    }


    /** The caller's mistake, found by the runtime (no re-wrapping in the CLI): exit 2 and one line, no class names. */
    private static void assertUsage(Outcome r, String part) {
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        // a machine with a GPU backend built but unusable gets a notice of it on every load: not the error's line
        List<String> lines = r.err().lines().filter(l -> !l.contains("is built but unavailable here")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.getFirst().startsWith("jseek: ") && lines.getFirst().contains(part), "'" + part + "' not in: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void aPromptLongerThanTheContextIsAUsageError() {
        // a ChatInputException that nothing wraps (it used to exit 1)
        assertUsage(jseek("run", "-m", MODEL.toString(), "-c", "64", "-n", "4", "sea ".repeat(1000)), "context holds");
    }

    @Test
    void aGrammarThatDoesNotParseIsAUsageError(@TempDir Path dir) throws IOException {
        // found when the sampler is made, after the model loaded: llama.cpp's parser says it, not a flag check
        Path grammar = Files.writeString(dir.resolve("broken.gbnf"), "root ::= (\n");
        assertUsage(jseek("run", "-m", MODEL.toString(), "-n", "4", "--grammar-file", grammar.toString(), "Hi"), "The grammar does not parse");
        Path empty = Files.writeString(dir.resolve("empty.gbnf"), "  \n");
        assertUsage(jseek("run", "-m", MODEL.toString(), "-n", "4", "--grammar-file", empty.toString(), "Hi"), "The grammar is empty");
    }

    @Test
    void aTemplateFileLlamaCppCannotParseIsAUsageError(@TempDir Path dir) throws IOException {
        Path template = Files.writeString(dir.resolve("broken.jinja"), "{% for m in messages %}{{ m.content }\n");
        assertUsage(jseek("run", "-m", MODEL.toString(), "-n", "4", "--template", template.toString(), "Hi"), "broken.jinja");
    }

    @Test
    void anExceptionWithoutAMessageIsASentenceNotAClassName() {
        String line = ExitCodes.sentence(new NullPointerException());
        assertTrue(line.contains("NullPointerException") && line.contains("--verbose") && !line.contains("java.lang"), line);
        assertEquals("Disk full.", ExitCodes.sentence(new java.io.IOException("Disk full.")));
    }

    /** run takes no request JSON, but a wire mistake anywhere in the CLI is a usage error told in the reader's sentence. */
    @Test
    void aBadWireFieldIsAUsageErrorInTheReadersSentence() throws Exception {
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"abc\"}");
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.jseek.wire.InvalidFieldException.class,
                () -> dev.jseek.wire.OpenAiChat.read(body, dev.jseek.chat.ChatOptions.defaults().reply()));
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(new RunCommand()).setErr(new java.io.PrintWriter(err));
        assertEquals(ExitCodes.USAGE, ExitCodes.handle(e, cli, null));
        assertEquals("jseek: temperature must be a number, not \"abc\".", err.toString().strip());
    }
}

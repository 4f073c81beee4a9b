package dev.jseek.chat;

import dev.jseek.Grammar;
import dev.jseek.JseekException;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own corpus of JSON Schemas: every {@code test({...})} case of the pinned source's
 * tests/test-json-schema-to-grammar.cpp, read from that file at test time, through
 * {@link Grammar#fromJsonSchema}. Each gives the grammar llama.cpp's test expects (compared after the
 * same trim that test applies: outer whitespace and each line's indentation), or fails where it expects failure.
 *
 * <p>Not covered, because they are not schema-to-grammar cases: the file's three hand-written checks after
 * {@code test_all} (a pre-parsed document equals the JSON path; a sub-schema {@code $ref} built with
 * {@code build_grammar}; "the expectations parse", which checks the test's own expected grammars).
 */
class SchemaGrammarCorpusTest {
    private static final String FILE = "tests/test-json-schema-to-grammar.cpp";
    /** The pinned release has 81 cases; fewer means the extraction missed some (or llama.cpp dropped some). */
    private static final int AT_LEAST = 81;

    record Case(boolean success, String name, String schema, String grammar) {
    }

    @TestFactory
    List<DynamicTest> everyCaseOfLlamaCppsCorpus() {
        List<Case> cases = cases(LlamaSource.read(FILE));
        System.out.println(FILE + ": " + cases.size() + " cases (" + cases.stream().filter(c -> !c.success()).count()
                + " expect failure)");
        assertTrue(cases.size() >= AT_LEAST, "found only " + cases.size() + " cases in " + FILE + ", expected at least " + AT_LEAST);
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name() + (c.success() ? "" : " (failure expected)"), () -> {
                if (c.success()) {
                    String actual = Grammar.fromJsonSchema(c.schema()).gbnf();
                    assertEquals(trim(c.grammar()), trim(actual), "schema:\n" + c.schema());
                } else {
                    assertThrows(JseekException.class, () -> Grammar.fromJsonSchema(c.schema()),
                            "llama.cpp's test expects this schema to fail:\n" + c.schema());
                }
            }));
        }
        return tests;
    }

    /** llama.cpp's test's trim: outer whitespace, then every line's leading spaces and tabs. */
    static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && " \n\r\t".indexOf(s.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && " \n\r\t".indexOf(s.charAt(end - 1)) >= 0) {
            end--;
        }
        return s.substring(start, end).replaceAll("(^|\n)[ \t]+", "$1");
    }

    /** The {@code test({STATUS, "name", schema, grammar})} calls inside {@code test_all}'s body. */
    static List<Case> cases(String source) {
        List<LlamaSource.Token> tokens = LlamaSource.tokenize(source);
        int body = -1;
        for (int i = 0; i + 2 < tokens.size(); i++) {
            if (tokens.get(i).is("test_all") && tokens.get(i + 1).is("(") && i > 0 && tokens.get(i - 1).is("void")) {
                int close = LlamaSource.matching(tokens, i + 1);
                body = close + 1;
                break;
            }
        }
        if (body < 0 || !tokens.get(body).is("{")) {
            throw new IllegalStateException("no definition of test_all in " + FILE);
        }
        int bodyEnd = LlamaSource.matching(tokens, body);
        List<Case> cases = new ArrayList<>();
        for (int i = body; i < bodyEnd; i++) {
            if (tokens.get(i).is("test") && tokens.get(i + 1).is("(") && tokens.get(i + 2).is("{")) {
                int close = LlamaSource.matching(tokens, i + 2);
                List<List<LlamaSource.Token>> args = LlamaSource.arguments(tokens, i + 3, close);
                if (args.size() != 4 || args.get(0).size() != 1) {
                    throw new IllegalStateException("a test case of " + FILE + " is not {STATUS, name, schema, grammar}: " + args);
                }
                String status = args.get(0).getFirst().text();
                if (!status.equals("SUCCESS") && !status.equals("FAILURE")) {
                    throw new IllegalStateException("unknown status " + status + " in " + FILE);
                }
                String name = LlamaSource.string(args.get(1), "a case name");
                cases.add(new Case(status.equals("SUCCESS"), name, LlamaSource.string(args.get(2), name + "'s schema"),
                        LlamaSource.string(args.get(3), name + "'s grammar")));
                i = close;
            }
        }
        // Cross-check against a plain count of the call's text, so a case the tokenizer skipped fails loudly.
        String bodyText = source.substring(tokens.get(body).offset(), tokens.get(bodyEnd).offset());
        Matcher m = Pattern.compile("(?m)^\\s*test\\(\\{").matcher(bodyText);
        int textual = 0;
        while (m.find()) {
            textual++;
        }
        if (textual != cases.size()) {
            throw new IllegalStateException(FILE + " has " + textual + " test({ calls but " + cases.size() + " were read");
        }
        return cases;
    }
}

package dev.jseek;

import java.nio.file.Path;

/**
 * The child side of {@link Preflight}: loads the model on the CPU, makes a small context and decodes one token.
 * Not API; started by the runtime as {@code java -cp … dev.jseek.PreflightChild [--no-java-checks] MODEL}.
 * {@code --no-java-checks} skips jseek's own validation, so tests can show that what it misses stays in the child.
 */
public final class PreflightChild {
    private PreflightChild() {
    }

    public static void main(String[] args) {
        boolean javaChecks = !args[0].equals("--no-java-checks");
        Path path = Path.of(args[args.length - 1]);
        ModelParams params = ModelParams.defaults().withPreflight(false).withMemoryCheck(false);
        int code;
        try (Model model = javaChecks ? Model.load(path, params) : Model.loadNative(path, params, Backend.get());
             Context context = model.newContext(ContextParams.defaults().withContextSize(64).withBatchSize(64));
             Batch batch = new Batch(1, 1)) {
            batch.add(model.vocab().bos() >= 0 ? model.vocab().bos() : 0, 0, 0, true);
            context.decode(batch);
            code = Preflight.EXIT_OK;
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
            code = Preflight.EXIT_LOAD_FAILED;
        }
        System.exit(code);
    }
}

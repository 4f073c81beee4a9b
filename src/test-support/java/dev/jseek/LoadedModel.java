package dev.jseek;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A model loaded once for a test class and closed after its last test:
 * {@code @RegisterExtension static final LoadedModel model = new LoadedModel(TestModels::tiny);}, then
 * {@code model.get()} in the tests.
 */
public final class LoadedModel implements BeforeAllCallback, AfterAllCallback {
    private final Supplier<Path> file;
    private Model model;

    public LoadedModel(Supplier<Path> file) {
        this.file = file;
    }

    public Model get() {
        if (model == null) {
            throw new IllegalStateException("the model loads before the class's first test, not in a static initializer");
        }
        return model;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        model = Model.load(file.get(), ModelParams.defaults());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        model.close();
        model = null;
    }
}

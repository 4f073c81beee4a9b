package dev.jseek;

import dev.jseek.models.TinyDeepSeek;

import java.nio.file.Path;

/** The tiny random-weight DeepSeek model every runtime test uses, generated once per build into target/. */
public final class TestModels {
    private static Path tiny;

    private TestModels() {
    }

    public static synchronized Path tiny() {
        if (tiny == null) {
            tiny = DemoModel.ensure(workDir(), TinyDeepSeek.Config.defaults());
        }
        return tiny;
    }

    public static Path workDir() {
        return Path.of(System.getProperty("jseek.test.work", "target/test-work"));
    }
}

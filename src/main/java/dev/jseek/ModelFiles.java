package dev.jseek;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ArchitectureCheck;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks a model path before anything native sees it, so the user gets one clear sentence. */
final class ModelFiles {
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private ModelFiles() {
    }

    static void requireReadable(Path path) {
        if (!Files.exists(path)) {
            throw new ModelLoadException("Model file " + path + " does not exist; check the path.");
        }
        if (Files.isDirectory(path)) {
            throw new ModelLoadException(path + " is a directory; give the path of a .gguf file inside it.");
        }
        if (!Files.isReadable(path)) {
            throw new ModelLoadException("Model file " + path + " is not readable; check its permissions.");
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) < 4 || !java.util.Arrays.equals(magic, GGUF_MAGIC)) {
                throw new ModelLoadException(path + " is not a GGUF model file (it does not start with 'GGUF').");
            }
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read model file " + path + ": " + e.getMessage());
        }
    }

    /**
     * Reads the header and tensor table with jseek's validating reader and checks the architecture's
     * hyperparameters against each other and the tensor shapes: what llama.cpp would trust and crash on.
     */
    static GgufFile readChecked(Path path) {
        try {
            GgufFile file = GgufReader.read(path);
            ArchitectureCheck.verify(file);
            return file;
        } catch (GgufFormatException e) {
            throw new ModelLoadException(e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read model file " + path + ": " + e.getMessage());
        }
    }
}

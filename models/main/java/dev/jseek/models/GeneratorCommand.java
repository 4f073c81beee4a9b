package dev.jseek.models;

import dev.jseek.gguf.GgufFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The command line every model generator shares: {@code --vocab PATH --out PATH [--shape NAME] [--sparse]
 * [--seed N]} (TinyDistill names its shape {@code --family}). Errors in the arguments are one line and the usage,
 * exit 2; a write that fails is one line, exit 1; progress and the result go to stderr.
 *
 * @param name         the generator's name in messages, e.g. "tiny-deepseek4"
 * @param usage        the usage text
 * @param shapeOption  "--shape" or "--family"
 * @param shapes       the shapes by name, in the order the usage lists them
 * @param defaultShape the shape without the option; null when the option is required
 * @param sparse       whether --sparse is offered
 * @param withSeed     the config with another seed
 * @param denseRefusal why a config cannot be written with its weights (too big), or null when it can
 * @param writer       writes the model
 */
record GeneratorCommand<C>(String name, String usage, String shapeOption, Map<String, C> shapes, String defaultShape,
                           boolean sparse, BiFunction<C, Long, C> withSeed, Function<C, String> denseRefusal,
                           Writer<C> writer) {

    /** Writes one model; {@code sparse}: metadata and tensor table only, the weights a hole of the right length. */
    @FunctionalInterface
    interface Writer<C> {
        void write(Path vocab, Path out, C config, boolean sparse) throws IOException;
    }

    /** What the arguments ask for. */
    record Request<C>(Path vocab, Path out, C config, boolean sparse) {
    }

    GeneratorCommand {
        shapes = new LinkedHashMap<>(shapes);
    }

    /** Shapes in the order the usage lists them (the order error messages name them in). */
    @SafeVarargs
    static <C> Map<String, C> shapes(Map.Entry<String, C>... entries) {
        Map<String, C> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, C> e : entries) {
            ordered.put(e.getKey(), e.getValue());
        }
        return ordered;
    }

    /**
     * The request the arguments make; null for --help (the usage is printed).
     *
     * @throws IllegalArgumentException one sentence saying what is wrong
     */
    Request<C> parse(String... args) {
        Path vocab = null;
        Path out = null;
        String shape = defaultShape;
        Long seed = null;
        boolean asSparse = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(shapeOption)) {
                shape = value(args, ++i, arg);
            } else if (arg.equals("--sparse") && sparse) {
                asSparse = true;
            } else {
                switch (arg) {
                    case "--vocab" -> vocab = Path.of(value(args, ++i, arg));
                    case "--out" -> out = Path.of(value(args, ++i, arg));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, arg));
                    case "-h", "--help" -> {
                        System.out.println(usage);
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
        }
        if (vocab == null || out == null || shape == null) {
            throw new IllegalArgumentException((defaultShape == null ? shapeOption + ", " : "") + "--vocab and --out are required");
        }
        C config = shapes.get(shape);
        if (config == null) {
            throw new IllegalArgumentException(shapeOption + " must be " + String.join(" or ", shapes.keySet()) + ", not '" + shape + "'");
        }
        if (seed != null) {
            config = withSeed.apply(config, seed);
        }
        String refusal = asSparse ? null : denseRefusal.apply(config);
        if (refusal != null) {
            throw new IllegalArgumentException(shapeOption + " " + shape + " is " + refusal + ": write it with --sparse");
        }
        return new Request<>(vocab, out, config, asSparse);
    }

    /** Parses, writes, and exits with 2 (bad arguments) or 1 (the write failed) on failure. */
    void run(String... args) {
        Request<C> request;
        try {
            request = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage() + "\n" + usage);
            System.exit(2);
            return;
        }
        if (request == null) {
            return;
        }
        long start = System.nanoTime();
        try {
            writer.write(request.vocab(), request.out(), request.config(), request.sparse());
            System.err.printf("%s: wrote %,d bytes to %s in %d ms%n", name, Files.size(request.out()), request.out(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (NoSuchFileException e) {
            System.err.println(name + ": no such file: " + e.getFile());
            System.exit(1);
        } catch (IOException e) {
            // a GgufFormatException's message is a whole sentence; other I/O errors need their kind
            System.err.println(name + ": " + (e instanceof GgufFormatException ? e.getMessage() : e.toString()));
            System.exit(1);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}

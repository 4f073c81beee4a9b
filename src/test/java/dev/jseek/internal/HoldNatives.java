package dev.jseek.internal;

import java.io.IOException;
import java.nio.file.Path;

/** A second process for NativesJarTest: holds a copy as in use, says "held", and ends when its stdin does. */
public final class HoldNatives {
    private HoldNatives() {
    }

    public static void main(String[] args) throws IOException {
        NativesInUse.hold(Path.of(args[0]), args[1]);
        System.out.println("held");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the end of input
        }
    }
}

package dev.jseek.internal;

import dev.jseek.Backend;

/** Prints the directory a fresh JVM loads llama.cpp from (NativeLibrariesTest starts it with a chosen class path). */
public final class PrintLibraryDir {
    private PrintLibraryDir() {
    }

    public static void main(String[] args) {
        System.out.println(Backend.get().libraryDir());
    }
}

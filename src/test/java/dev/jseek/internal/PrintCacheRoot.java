package dev.jseek.internal;

/** Prints the cache root as a fresh JVM resolves it (NativeLibrariesTest starts it with a chosen environment). */
public final class PrintCacheRoot {
    private PrintCacheRoot() {
    }

    public static void main(String[] args) {
        System.out.println(NativeLibraries.cacheRoot());
    }
}

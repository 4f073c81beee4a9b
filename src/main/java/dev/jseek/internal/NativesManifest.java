package dev.jseek.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A natives jar's {@code natives.properties} (written by native/package.sh): the llama.cpp release, the backend set,
 * every library with its sha256 and size, and the development names to recreate as symlinks to their sonames.
 *
 * @param checksum sha256 of the manifest's bytes: names the extraction directory, so another build never shares it
 */
record NativesManifest(String classifier, String llamaVersion, String backends, Map<String, FileEntry> files,
                       Map<String, String> links, String checksum) {

    record FileEntry(String sha256, long size) {
    }

    static NativesManifest parse(byte[] bytes, String source) {
        Properties p = new Properties();
        try {
            p.load(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, FileEntry> files = new TreeMap<>();
        Map<String, String> links = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("sha256.")) {
                String name = fileName(key.substring("sha256.".length()), source);
                String size = p.getProperty("size." + name);
                if (size == null) {
                    throw new NativeLibraries.LoadFailure(source + " lists " + name + " without its size; re-download the natives jar.");
                }
                files.put(name, new FileEntry(p.getProperty(key), size(size, name, source)));
            } else if (key.startsWith("link.")) {
                String target = fileName(p.getProperty(key), source);
                links.put(fileName(key.substring("link.".length()), source), target);
            }
        }
        if (files.isEmpty()) {
            throw new NativeLibraries.LoadFailure(source + " lists no libraries; re-download the natives jar.");
        }
        return new NativesManifest(p.getProperty("classifier"), p.getProperty("llama.version"), p.getProperty("backends"),
                Map.copyOf(files), Map.copyOf(links), sha256(bytes).substring(0, 16));
    }

    private static long size(String value, String name, String source) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new NativeLibraries.LoadFailure(source + " gives " + name + " the size \"" + value + "\"; re-download the natives jar.", e);
        }
    }

    /** A name from the jar becomes a path under the cache: only plain file names, never a way out of the directory. */
    private static String fileName(String name, String source) {
        if (name.isEmpty() || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
            throw new NativeLibraries.LoadFailure(source + " names a file \"" + name + "\" that is not a plain file name; the natives jar is not jseek's.");
        }
        return name;
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }
}

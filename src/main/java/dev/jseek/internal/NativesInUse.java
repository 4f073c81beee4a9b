package dev.jseek.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Removes the extracted natives of other jseek versions ({@code natives/<checksum>/}, left behind by an upgrade),
 * never one that a running process uses.
 * <p>
 * Every process that uses an extracted copy holds, for its whole life, a shared lock on one byte of
 * {@code natives/in-use.lock}: the byte at an offset taken from the copy's checksum. The operating system drops a
 * process's locks when it ends, however it ends (kill -9 included). A copy is removed only by a process that gets
 * the exclusive lock on its byte (so no process of this code uses it), and finds no process mapping a file from it
 * ({@code /proc/<pid>/maps}: this catches versions from before the locks); it is first renamed out of the way, so a
 * process starting at that moment finds it whole or not at all, and extracts its own copy again. Without a
 * {@code /proc} to ask (macOS), nothing is removed.
 */
final class NativesInUse {
    static final String LOCK_FILE = "in-use.lock";
    /** Extraction directories are named by the manifest's sha256, its first 16 hex digits (NativesManifest). */
    private static final Pattern CHECKSUM = Pattern.compile("[0-9a-f]{16}");
    /**
     * One channel per natives directory, open until the process ends: closing any descriptor of a file drops all of
     * the process's POSIX locks on it, so the holds and the removal's tries must share it.
     */
    private static final Map<Path, FileChannel> CHANNELS = new ConcurrentHashMap<>();
    private static final Map<Path, FileLock> HELD = new ConcurrentHashMap<>();

    private NativesInUse() {
    }

    /**
     * Marks {@code root/checksum} as used by this process until it ends; waits while another process is removing it
     * (it is then gone, and is extracted again). Without a usable lock file nothing is marked, and
     * {@link #removeUnused} removes nothing either.
     */
    static void hold(Path root, String checksum) {
        root = root.toAbsolutePath().normalize();
        Path copy = root.resolve(checksum);
        if (HELD.containsKey(copy)) {
            return;
        }
        synchronized (NativesInUse.class) {
            if (HELD.containsKey(copy)) {
                return;
            }
            FileChannel channel = channel(root);
            if (channel == null) {
                return;
            }
            try {
                HELD.put(copy, channel.lock(offset(checksum), 1, true));
            } catch (IOException e) {
                // not marked: removal from here is off too (removeUnused needs the channel), and other processes
                // of this code still see this copy mapped
            }
        }
    }

    /**
     * Removes every other version's copy under {@code root} that no process uses, and returns what it removed.
     * Cheap when there is none: one directory listing.
     */
    static List<Path> removeUnused(Path root) {
        root = root.toAbsolutePath().normalize();
        List<Path> others;
        try (Stream<Path> dirs = Files.list(root)) {
            others = dirs.filter(d -> CHECKSUM.matcher(d.getFileName().toString()).matches() && !HELD.containsKey(d)).toList();
        } catch (IOException e) {
            return List.of();
        }
        List<Path> removed = new ArrayList<>();
        for (Path old : others) {
            if (Files.isDirectory(old) && removeIfUnused(root, old)) {
                removed.add(old);
            }
        }
        return removed;
    }

    private static boolean removeIfUnused(Path root, Path old) {
        synchronized (NativesInUse.class) {
            FileChannel channel = channel(root);
            if (channel == null) {
                return false;
            }
            try (FileLock exclusive = channel.tryLock(offset(old.getFileName().toString()), 1, false)) {
                if (exclusive == null || mappedByAProcess(old)) {
                    return false;
                }
                Path aside = root.resolve("." + old.getFileName() + ".removed-" + UUID.randomUUID());
                Files.move(old, aside); // atomic: nobody sees a half-deleted copy under its name
                NativesJar.deleteTree(aside); // what a failure leaves is a dot-directory, cleared later (NativesJar)
                return true;
            } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
                return false;
            }
        }
    }

    /**
     * Whether any process maps a file from {@code dir}, by Linux's /proc; true where that cannot be known, so that
     * nothing is removed on a guess. Processes of other users are not readable, and cannot use this user's cache.
     */
    static boolean mappedByAProcess(Path dir) {
        Path proc = Path.of("/proc");
        if (!Files.isReadable(proc.resolve("self/maps"))) {
            return true;
        }
        String prefix;
        try {
            prefix = dir.toRealPath() + "/";
        } catch (IOException e) {
            return true;
        }
        try (Stream<Path> pids = Files.list(proc)) {
            for (Path pid : pids.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try (Stream<String> maps = Files.lines(pid.resolve("maps"))) {
                    if (maps.anyMatch(line -> line.contains(prefix))) {
                        return true;
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // the process ended, or is another user's
                }
            }
        } catch (IOException e) {
            return true;
        }
        return false;
    }

    /** The byte a copy's users lock: from its checksum's first 60 bits. */
    private static long offset(String checksum) {
        return Long.parseLong(checksum.substring(0, 15), 16);
    }

    private static FileChannel channel(Path root) {
        return CHANNELS.computeIfAbsent(root, r -> {
            try {
                return FileChannel.open(r.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (IOException e) {
                return null; // computeIfAbsent keeps nothing: asked again next time
            }
        });
    }
}

package dev.jseek;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** How much memory this machine can give a model now. */
public final class SystemMemory {
    private SystemMemory() {
    }

    /**
     * Linux's MemAvailable: free memory plus what the kernel can reclaim, such as the page cache. Not MemFree,
     * which a machine that has read big files shows as nearly zero. Elsewhere the JDK's free-memory figure.
     */
    public static OptionalLong availableBytes() {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try (var lines = Files.lines(meminfo)) {
                OptionalLong available = lines.filter(l -> l.startsWith("MemAvailable:"))
                        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024)
                        .findFirst();
                if (available.isPresent()) {
                    return available;
                }
            } catch (IOException | NumberFormatException e) {
                // fall through to the JDK's figure
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return OptionalLong.of(os.getFreeMemorySize());
        }
        return OptionalLong.empty();
    }
}

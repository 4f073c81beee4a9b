package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** What an earlier run of `jseek batch` left in its output file, so a rerun can resume. */
final class BatchOutput {
    private BatchOutput() {
    }

    /**
     * Ids with a complete record, answer or error, except records of cancelled requests (they are tried again).
     * A trailing line without its newline was cut off by a kill and does not count.
     */
    static Set<String> completedIds(Path output, ObjectMapper json) throws IOException {
        Set<String> ids = new HashSet<>();
        if (!Files.exists(output)) {
            return ids;
        }
        String content = Files.readString(output, StandardCharsets.UTF_8);
        int end = content.lastIndexOf('\n');
        for (String line : content.substring(0, end + 1).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = json.readTree(line);
                if (node != null && node.hasNonNull("id") && !"cancelled".equals(node.path("stop").asText())) {
                    ids.add(node.get("id").asText());
                }
            } catch (IOException e) {
                // a damaged line: its id (if any) is answered again
            }
        }
        return ids;
    }

    /** Cuts a line the previous run did not finish writing, so appended records start on a fresh line. */
    static void dropPartialLastLine(Path output) throws IOException {
        if (!Files.exists(output)) {
            return;
        }
        try (RandomAccessFile file = new RandomAccessFile(output.toFile(), "rw")) {
            long length = file.length();
            long keep = length;
            while (keep > 0) {
                file.seek(keep - 1);
                if (file.read() == '\n') {
                    break;
                }
                keep--;
            }
            if (keep != length) {
                file.setLength(keep);
            }
        }
    }
}

package dev.jseek.chat;

import dev.jseek.JseekException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The on-disk form of a {@link ChatSession}: which model it belongs to, the transcript, the tokens in the KV
 * cache and llama.cpp's state for them. Binary, versioned, written atomically.
 */
record SessionFile(String modelName, long modelSize, List<ChatMessage> history, int[] tokens, byte[] kvState) {
    private static final long MAGIC = 0x4A5345454B535331L; // "JSEEKSS1"
    private static final int VERSION = 1;
    /** A sanity bound on lengths read back, so a corrupt file fails cleanly instead of exhausting memory. */
    private static final int MAX_LENGTH = Integer.MAX_VALUE - 16;

    void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeLong(MAGIC);
            out.writeInt(VERSION);
            writeString(out, modelName);
            out.writeLong(modelSize);
            out.writeInt(history.size());
            for (ChatMessage m : history) {
                out.writeByte(m.role().ordinal());
                writeString(out, m.content());
            }
            out.writeInt(tokens.length);
            for (int t : tokens) {
                out.writeInt(t);
            }
            out.writeInt(kvState.length);
            out.write(kvState);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the session to " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the session to " + file + ": " + e.getMessage(), e);
        }
    }

    static SessionFile read(Path file) {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readLong() != MAGIC) {
                throw new JseekException(file + " is not a jseek session file.");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new JseekException(file + " is a session file of format " + version + "; this jseek reads format " + VERSION + ".");
            }
            String modelName = readString(in);
            long modelSize = in.readLong();
            int count = length(in);
            List<ChatMessage> history = new ArrayList<>();
            ChatMessage.Role[] roles = ChatMessage.Role.values();
            for (int i = 0; i < count; i++) {
                int role = in.readUnsignedByte();
                if (role >= roles.length) {
                    throw new JseekException(file + " is corrupt (unknown message role " + role + ").");
                }
                history.add(new ChatMessage(roles[role], readString(in)));
            }
            int[] tokens = new int[length(in)];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = in.readInt();
            }
            byte[] state = readExactly(in, length(in));
            return new SessionFile(modelName, modelSize, history, tokens, state);
        } catch (EOFException e) {
            throw new JseekException(file + " is truncated; it is not a complete jseek session file.");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the session " + file + ": " + e.getMessage(), e);
        }
    }

    private static int length(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_LENGTH) {
            throw new JseekException("a session file is corrupt (length " + n + ").");
        }
        return n;
    }

    /** readNBytes returns short at the end of the file; a short read means a truncated file. */
    private static byte[] readExactly(DataInputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException();
        }
        return b;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readExactly(in, length(in)), StandardCharsets.UTF_8);
    }
}

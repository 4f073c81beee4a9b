package dev.jseek.chat;

import dev.jseek.JseekException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The on-disk form of a {@link ChatSession}: which model it belongs to, the transcript, the tokens in the KV
 * cache and llama.cpp's state for them.
 *
 * <p>Format 2, big-endian: the magic {@code JSEEKSS1}, the version, the length of the whole file, the content
 * (model name and size, messages, tokens, KV state), then a CRC32C of every byte before it. A file is checked
 * whole (length, then checksum) before any of it is used, and every count in it is bounded by the bytes left, so a
 * damaged, truncated or hostile file is refused with one sentence, never half-loaded or an OutOfMemoryError.
 * Saving writes a temporary file in the same directory, forces it to disk and renames it over the name, so a crash
 * leaves either the old file or the new one there, never part of one; the file is readable by its owner only
 * (a temporary file's permissions), as a conversation should be.
 */
record SessionFile(String modelName, long modelSize, List<ChatMessage> history, int[] tokens, byte[] kvState) {
    private static final long MAGIC = 0x4A5345454B535331L; // "JSEEKSS1"
    /** 1: no length, no checksum (refused: such files loaded silently when damaged). 2: length and CRC32C. */
    private static final int VERSION = 2;
    private static final int HEADER_BYTES = 8 + 4 + 8; // magic, version, file length
    private static final int CHECKSUM_BYTES = 4;
    private static final int BUFFER_BYTES = 1 << 16;

    void write(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        boolean moved = false;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".partial");
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeTo(Channels.newOutputStream(channel));
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new JseekException("Cannot save the session to " + file + " (" + why(e) + ").", e);
        } finally {
            if (tmp != null && !moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // the save already failed with its own message; a stray temporary file is the lesser matter
                }
            }
        }
    }

    private void writeTo(OutputStream raw) throws IOException {
        byte[] name = modelName.getBytes(StandardCharsets.UTF_8);
        List<byte[]> contents = history.stream().map(m -> m.content().getBytes(StandardCharsets.UTF_8)).toList();
        long length = HEADER_BYTES + (4L + name.length) + 8 /* model size */ + 4 /* message count */
                + (4 + 4L * tokens.length) + (4L + kvState.length) + CHECKSUM_BYTES;
        for (byte[] c : contents) {
            length += 1 + 4 + c.length;
        }
        CRC32C crc = new CRC32C();
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(raw, crc), BUFFER_BYTES));
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(length);
        out.writeInt(name.length);
        out.write(name);
        out.writeLong(modelSize);
        out.writeInt(history.size());
        for (int i = 0; i < history.size(); i++) {
            out.writeByte(history.get(i).role().ordinal());
            out.writeInt(contents.get(i).length);
            out.write(contents.get(i));
        }
        out.writeInt(tokens.length);
        for (int t : tokens) {
            out.writeInt(t);
        }
        out.writeInt(kvState.length);
        out.write(kvState);
        out.flush();
        new DataOutputStream(raw).writeInt((int) crc.getValue());
    }

    /** Makes the rename itself durable. Directories cannot be opened for this on every OS (Windows); there the rename stands as the OS keeps it. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not supported here; the file itself is on disk
        }
    }

    static SessionFile read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
                // positional reads until the header is in or the file ends
            }
            header.flip();
            if (header.remaining() < 8 || header.getLong() != MAGIC) {
                throw new JseekException(file + " is not a jseek session file.");
            }
            if (header.remaining() < 4) {
                throw truncated(file, size, -1);
            }
            int version = header.getInt();
            if (version == 1) {
                throw new JseekException(file + " is a session file of format 1, saved by an older jseek without a checksum;"
                        + " this jseek reads only format " + VERSION + ", so start the conversation anew.");
            }
            if (version != VERSION) {
                throw new JseekException(file + " is a session file of format " + Integer.toUnsignedString(version)
                        + ", which this jseek (format " + VERSION + ") cannot read: it was saved by a newer jseek, or it is damaged.");
            }
            long declared = header.remaining() < 8 ? -1 : header.getLong();
            if (declared != size || size < HEADER_BYTES + CHECKSUM_BYTES) {
                throw truncated(file, size, declared);
            }
            if (checksum(channel, size - CHECKSUM_BYTES) != storedChecksum(channel, size)) {
                throw new JseekException(file + " is damaged (its checksum does not match its content); it cannot be loaded.");
            }
            channel.position(HEADER_BYTES);
            Input in = new Input(file, channel, size - HEADER_BYTES - CHECKSUM_BYTES);
            String modelName = in.string();
            long modelSize = in.i64();
            int count = in.count(1 + 4, "message count");
            List<ChatMessage> history = new ArrayList<>(count);
            ChatMessage.Role[] roles = ChatMessage.Role.values();
            for (int i = 0; i < count; i++) {
                int role = in.u8();
                if (role >= roles.length) {
                    throw in.corrupt("unknown message role " + role);
                }
                history.add(new ChatMessage(roles[role], in.string()));
            }
            int[] tokens = new int[in.count(4, "token count")];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = in.i32();
            }
            byte[] state = in.bytes(in.count(1, "KV state length"));
            if (in.remaining != 0) {
                throw in.corrupt(in.remaining + " bytes after the KV state");
            }
            return new SessionFile(modelName, modelSize, history, tokens, state);
        } catch (NoSuchFileException e) {
            throw new JseekException(file + " does not exist.", e);
        } catch (IOException e) {
            throw new JseekException(file + " cannot be read (" + why(e) + ").", e);
        }
    }

    /** "access denied", "directory not empty": a FileSystemException's message is only the path, already named. */
    private static String why(IOException e) {
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason()
                    : f.getClass().getSimpleName().replace("Exception", "").replaceAll("(?<=[a-z])(?=[A-Z])", " ").toLowerCase(Locale.ROOT);
        }
        return e.getMessage();
    }

    private static JseekException truncated(Path file, long size, long declared) {
        return new JseekException(file + " is truncated or damaged: it holds " + size + " bytes"
                + (declared < 0 ? "" : " but says it holds " + declared) + "; it cannot be loaded.");
    }

    /** CRC32C of the file's first {@code end} bytes. */
    private static int checksum(FileChannel channel, long end) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        for (long position = 0; position < end; ) {
            buffer.clear().limit((int) Math.min(BUFFER_BYTES, end - position));
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("the file shrank while it was read");
            }
            buffer.flip();
            crc.update(buffer);
            position += n;
        }
        return (int) crc.getValue();
    }

    private static int storedChecksum(FileChannel channel, long size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CHECKSUM_BYTES);
        while (b.hasRemaining()) {
            if (channel.read(b, size - CHECKSUM_BYTES + b.position()) < 0) {
                throw new IOException("the file shrank while it was read");
            }
        }
        return b.flip().getInt();
    }

    /** The content between header and checksum; every read and every count is checked against the bytes left. */
    private static final class Input {
        private final Path file;
        private final DataInputStream in;
        long remaining;

        Input(Path file, FileChannel channel, long contentBytes) {
            this.file = file;
            this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), BUFFER_BYTES));
            this.remaining = contentBytes;
        }

        int u8() throws IOException {
            take(1);
            return in.readUnsignedByte();
        }

        int i32() throws IOException {
            take(4);
            return in.readInt();
        }

        long i64() throws IOException {
            take(8);
            return in.readLong();
        }

        /** A count of items of at least {@code minBytes} each, refused unless that many bytes are left. */
        int count(int minBytes, String what) throws IOException {
            int n = i32();
            if (n < 0 || (long) n * minBytes > remaining) {
                throw corrupt(what + " " + Integer.toUnsignedString(n) + " with " + remaining + " bytes left");
            }
            return n;
        }

        byte[] bytes(int n) throws IOException {
            take(n);
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        String string() throws IOException {
            return new String(bytes(count(1, "text length")), StandardCharsets.UTF_8);
        }

        private void take(long n) {
            if (n > remaining) {
                throw corrupt("it ends inside a field");
            }
            remaining -= n;
        }

        JseekException corrupt(String detail) {
            return new JseekException(file + " is corrupt (" + detail + "); it cannot be loaded.");
        }
    }
}

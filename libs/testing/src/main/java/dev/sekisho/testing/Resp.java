package dev.sekisho.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the Redis protocol for test set-up and probes: one command per connection, one simple, integer
 * or bulk reply.
 */
public final class Resp {

    private Resp() {
    }

    public static String call(String redisUrl, String... command) throws IOException {
        URI uri = URI.create(redisUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(2000);
            StringBuilder request = new StringBuilder("*").append(command.length).append("\r\n");
            for (String part : command) {
                request.append('$').append(part.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(part).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
            return switch (line.charAt(0)) {
                case '+', '-', ':' -> line;
                case '$' -> {
                    int length = Integer.parseInt(line.substring(1));
                    if (length < 0) {
                        yield null;
                    }
                    char[] body = new char[length];
                    int read = 0;
                    while (read < length) {
                        int n = in.read(body, read, length - read);
                        if (n < 0) {
                            throw new IOException("connection closed");
                        }
                        read += n;
                    }
                    yield new String(body);
                }
                default -> throw new IOException("unexpected reply " + line);
            };
        }
    }
}

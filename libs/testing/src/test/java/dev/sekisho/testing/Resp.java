package dev.sekisho.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Just enough of the Redis protocol to prove a server answers: one command, one simple or bulk reply. */
final class Resp {

    private Resp() {
    }

    static String call(String redisUrl, String... command) throws IOException {
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
            return switch (line.charAt(0)) {
                case '+', '-', ':' -> line;
                case '$' -> Integer.parseInt(line.substring(1)) < 0 ? null : in.readLine();
                default -> throw new IOException("unexpected reply " + line);
            };
        }
    }
}

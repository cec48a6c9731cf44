package dev.sekisho.alert;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.sun.net.httpserver.HttpServer;

import dev.sekisho.testing.servers.TempDirs;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real HTTP server on 127.0.0.1 that records what alert-service sends it (path, headers, body, when) and answers
 * 200, or 410 on {@code /gone}; and the routing file that points alert-service's receivers at it, written into a
 * directory of its own before the service starts.
 */
public class WebhookReceiver implements QuarkusTestResourceLifecycleManager {

    public record Received(String path, Map<String, List<String>> headers, String body, long atMillis) {
    }

    static final List<Received> RECEIVED = new ArrayList<>();
    static int port;
    static Path routingDir;
    /** A real SMTP server for the e-mail receiver. */
    static com.icegreen.greenmail.util.GreenMail smtp;
    private HttpServer server;

    static synchronized List<Received> on(String path) {
        return RECEIVED.stream().filter(r -> r.path().equals(path)).toList();
    }

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.createContext("/", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v)));
                synchronized (WebhookReceiver.class) {
                    RECEIVED.add(new Received(exchange.getRequestURI().getPath(), headers, new String(body, StandardCharsets.UTF_8),
                            System.currentTimeMillis()));
                }
                int status = exchange.getRequestURI().getPath().equals("/gone") ? 410 : 200;
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
            port = server.getAddress().getPort();
            routingDir = TempDirs.create("alert-routing");
            Files.writeString(routingDir.resolve("routing.yaml"), routing(port));
            int smtpPort = dev.sekisho.testing.servers.Ports.free();
            smtp = new com.icegreen.greenmail.util.GreenMail(new com.icegreen.greenmail.util.ServerSetup(smtpPort, "127.0.0.1", "smtp"));
            smtp.start();
            return Map.of("sekisho.alert.routing-dir", routingDir.toString(), "quarkus.mailer.host", "127.0.0.1",
                    "quarkus.mailer.port", String.valueOf(smtpPort));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String routing(int port) {
        String base = "http://127.0.0.1:" + port;
        return """
                route:
                  receiver: log
                  group_by: [rule]
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 1h
                  routes:
                    - matchers: ['rule_id="sekisho-auth-brute-force-user"']
                      receiver: hook
                      group_by: [user]
                      group_wait: 1s
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"group-.*"']
                      receiver: hook
                      group_by: [case]
                      group_wait: 2s
                      group_interval: 2s
                      repeat_interval: 6s
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"am-.*"']
                      receiver: am-hook
                      group_by: [case]
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"chat-.*"']
                      receiver: chat-hook
                      group_by: [case]
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"esc-.*"']
                      receiver: hook
                      group_by: [case]
                      escalation: oncall
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"mail-.*"']
                      receiver: mail
                      group_by: [case]
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"(inh|sil)-.*"']
                      receiver: hook
                      group_by: [case]
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ack-.*"']
                      receiver: hook
                      group_by: [case]
                      escalation: oncall-slow
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"gone-.*"']
                      receiver: gone-hook
                      group_by: [case, item]
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ssrf-.*"']
                      receiver: ssrf-loopback
                      group_by: [case]
                      continue: true
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ssrf-.*"']
                      receiver: ssrf-private
                      group_by: [case]
                      continue: true
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ssrf-.*"']
                      receiver: ssrf-metadata
                      group_by: [case]
                      continue: true
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ssrf-.*"']
                      receiver: ssrf-v6
                      group_by: [case]
                      continue: true
                    - matchers: ['rule_id=~"test-notify.*"', 'case=~"ssrf-.*"']
                      receiver: ssrf-name
                      group_by: [case]
                receivers:
                  - name: hook
                    webhook: {url: '%1$s/hook', secret_keys: [sekisho.test.webhook-secret, sekisho.test.webhook-secret-old],
                      allowed_networks: [127.0.0.1/32]}
                  - name: mail
                    email: {to: [security@example.test, oncall@example.test]}
                  - name: am-hook
                    webhook: {url: '%1$s/am', format: alertmanager, allowed_networks: [127.0.0.1/32]}
                  - name: chat-hook
                    chat: {url: '%1$s/chat', allowed_networks: [127.0.0.1/32]}
                  - name: esc-first
                    webhook: {url: '%1$s/esc1', secret_keys: [sekisho.test.webhook-secret], allowed_networks: [127.0.0.1/32]}
                  - name: esc-second
                    webhook: {url: '%1$s/esc2', secret_keys: [sekisho.test.webhook-secret], allowed_networks: [127.0.0.1/32]}
                  - name: gone-hook
                    webhook: {url: '%1$s/gone', secret_keys: [sekisho.test.webhook-secret], allowed_networks: [127.0.0.1/32]}
                  - name: ssrf-loopback
                    webhook: {url: '%1$s/ssrf', secret_keys: [sekisho.test.webhook-secret]}
                  - name: ssrf-private
                    webhook: {url: 'http://10.1.2.3/ssrf', secret_keys: [sekisho.test.webhook-secret]}
                  - name: ssrf-metadata
                    webhook: {url: 'http://169.254.169.254/latest/meta-data', secret_keys: [sekisho.test.webhook-secret]}
                  - name: ssrf-v6
                    webhook: {url: 'http://[::1]:%2$d/ssrf', secret_keys: [sekisho.test.webhook-secret]}
                  - name: ssrf-name
                    webhook: {url: 'http://localhost:%2$d/ssrf', secret_keys: [sekisho.test.webhook-secret]}
                inhibit_rules:
                  - source_matchers: ['rule_id="test-notify-critical"']
                    target_matchers: ['rule_id="test-notify"']
                    equal: [case]
                escalations:
                  - name: oncall
                    steps:
                      - {receiver: esc-first, delay: 0s}
                      - {receiver: esc-second, delay: 2s}
                    repeat: 2
                    repeat_interval: 2s
                  - name: oncall-slow
                    steps:
                      - {receiver: esc-first, delay: 0s}
                      - {receiver: esc-second, delay: 15s}
                    repeat: 1
                """.formatted(base, port);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
        if (smtp != null) {
            smtp.stop();
        }
    }
}

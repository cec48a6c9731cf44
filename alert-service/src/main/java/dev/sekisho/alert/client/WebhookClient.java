package dev.sekisho.alert.client;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.common.net.Cidr;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Sends a notification to a webhook or chat endpoint: the name resolved now and every address checked
 * ({@link AddressGuard}), the connection made to the checked address (Host and TLS name kept), no redirects followed,
 * Standard Webhooks v1 headers ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature} with a
 * {@code v1,} HMAC-SHA256 per secret). Answers with the status, or why nothing was sent.
 */
@ApplicationScoped
public class WebhookClient {

    /** What happened: an HTTP status (0: none), or a refusal before connecting, or a transport failure. */
    public record Result(int status, String refusal, String failure) {

        public boolean delivered() {
            return status >= 200 && status < 300;
        }
    }

    @Inject
    Vertx vertx;

    @Inject
    AlertSettings settings;

    private volatile HttpClient http;

    private HttpClient http() {
        HttpClient client = http;
        if (client == null) {
            synchronized (this) {
                if (http == null) {
                    http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) settings.webhookTimeout().toMillis())
                            .setIdleTimeout(30).setMaxPoolSize(16).setVerifyHost(true));
                }
                client = http;
            }
        }
        return client;
    }

    @PreDestroy
    void close() {
        if (http != null) {
            http.closeAndAwait();
        }
    }

    @WithSpan("webhook delivery")
    public Uni<Result> post(String url, List<Cidr> allowed, String webhookId, List<byte[]> secrets, String body) {
        URI uri = URI.create(url);
        boolean tls = "https".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return vertx.executeBlocking(() -> resolve(host)).flatMap(addresses -> {
            if (addresses.isEmpty()) {
                return Uni.createFrom().item(new Result(0, "the host does not resolve", null));
            }
            List<Cidr> allowList = new ArrayList<>(allowed);
            settings.webhookAllowedNetworks().ifPresent(list -> list.forEach(n -> allowList.add(Cidr.parse(n))));
            for (InetAddress address : addresses) {
                String refusal = AddressGuard.refusal(address, allowList);
                if (refusal != null) {
                    return Uni.createFrom().item(new Result(0, "the host " + refusal + " (not allow-listed)", null));
                }
            }
            long timestamp = System.currentTimeMillis() / 1000;
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setServer(SocketAddress.inetSocketAddress(port,
                    AddressGuard.unmapped(addresses.get(0)).getHostAddress())).setHost(host).setPort(port).setSsl(tls)
                    .setURI(uri.getRawPath().isEmpty() ? "/" : uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
                    .setFollowRedirects(false).setTimeout(settings.webhookTimeout().toMillis())
                    .putHeader("content-type", "application/json").putHeader("user-agent", "Sekisho-alert-service")
                    .putHeader("webhook-id", webhookId).putHeader("webhook-timestamp", String.valueOf(timestamp));
            if (!secrets.isEmpty()) {
                request.putHeader("webhook-signature", signatures(secrets, webhookId, timestamp, body));
            }
            return http().request(request)
                    .flatMap(r -> r.send(Buffer.buffer(body)))
                    .flatMap(response -> response.body().map(ignored -> new Result(response.statusCode(), null, null)))
                    .ifNoItem().after(settings.webhookTimeout().plus(Duration.ofSeconds(1))).fail()
                    .onFailure().recoverWithItem(failure -> new Result(0, null, failure.getClass().getSimpleName()));
        });
    }

    private static List<InetAddress> resolve(String host) {
        try {
            return Arrays.asList(InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            return List.of();
        }
    }

    /** Standard Webhooks v1: base64 HMAC-SHA256 of "id.timestamp.body" with each secret, space-separated. */
    static String signatures(List<byte[]> secrets, String id, long timestamp, String body) {
        List<String> signatures = new ArrayList<>();
        byte[] content = (id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8);
        for (byte[] secret : secrets) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                signatures.add("v1," + Base64.getEncoder().encodeToString(mac.doFinal(content)));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(" ", signatures);
    }

    /** A {@code whsec_} secret (or bare base64) as its key bytes. */
    public static byte[] secretBytes(String secret) {
        String text = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        return Base64.getDecoder().decode(text);
    }
}

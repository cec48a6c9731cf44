package dev.sekisho.auth.rest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.auth.config.AuthSettings;
import io.vertx.core.http.HttpServerRequest;

/**
 * The address a request really comes from. X-Forwarded-For is believed only when the connection comes from a
 * configured trusted proxy, and then only up to the first address that is not itself a trusted proxy (reading
 * from the right), so a client cannot choose its own address by sending the header.
 */
@ApplicationScoped
public class ClientAddress {

    private final List<Cidr> trusted;

    @Inject
    public ClientAddress(AuthSettings settings) {
        this(settings.trustedProxies().orElse(List.of()));
    }

    ClientAddress(List<String> trustedProxies) {
        this.trusted = trustedProxies.stream().map(String::trim).filter(s -> !s.isEmpty()).map(Cidr::parse).toList();
    }

    /** The client address of an HTTP request. */
    public String of(HttpServerRequest request) {
        String peer = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        return resolve(peer, request.getHeader("X-Forwarded-For"));
    }

    public String resolve(String peer, String forwardedFor) {
        if (forwardedFor == null || forwardedFor.isBlank() || !isTrusted(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (!isLiteralAddress(hop)) {
                return client; // garbage in the header: stop at the last address we could trust
            }
            client = hop;
            if (!isTrusted(hop)) {
                return hop;
            }
        }
        return client;
    }

    boolean isTrusted(String address) {
        return trusted.stream().anyMatch(c -> c.contains(address));
    }

    /** An IPv4 dotted quad or an IPv6 literal: never a name, so parsing it never triggers a DNS lookup. */
    private static boolean isLiteralAddress(String text) {
        if (text.isEmpty() || text.length() > 45) {
            return false;
        }
        if (text.indexOf(':') >= 0) {
            return text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
        }
        return text.chars().allMatch(c -> Character.isDigit(c) || c == '.') && text.chars().filter(c -> c == '.').count() == 3;
    }

    /** An address block such as 10.0.0.0/8 or a single address. */
    record Cidr(byte[] network, int prefix) {

        static Cidr parse(String text) {
            String[] parts = text.split("/", 2);
            byte[] address = literal(parts[0]);
            if (address == null) {
                throw new IllegalArgumentException("sekisho.auth.trusted-proxies: not an address: " + text);
            }
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
            if (prefix < 0 || prefix > address.length * 8) {
                throw new IllegalArgumentException("sekisho.auth.trusted-proxies: bad prefix in " + text);
            }
            return new Cidr(address, prefix);
        }

        boolean contains(String text) {
            byte[] address = literal(text);
            if (address == null || address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }

        /** Parses an IP literal without any name lookup; null for anything else. */
        private static byte[] literal(String text) {
            if (text == null || !isLiteralAddress(text.trim())) {
                return null;
            }
            try {
                return InetAddress.getByName(text.trim()).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}

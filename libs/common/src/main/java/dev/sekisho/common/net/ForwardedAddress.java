package dev.sekisho.common.net;

import java.util.List;

/**
 * The address a request really comes from. X-Forwarded-For is believed only when the connection comes from a
 * configured trusted proxy, and then only up to the first address that is not itself a trusted proxy (reading
 * from the right), so a client cannot choose its own address by sending the header.
 */
public final class ForwardedAddress {

    private final List<Cidr> trusted;

    /** @throws IllegalArgumentException when an entry is not an address or block */
    public ForwardedAddress(List<String> trustedProxies) {
        this.trusted = trustedProxies.stream().map(String::trim).filter(s -> !s.isEmpty()).map(Cidr::parse).toList();
    }

    public String resolve(String peer, String forwardedFor) {
        if (forwardedFor == null || forwardedFor.isBlank() || !isTrusted(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (!Cidr.isLiteralAddress(hop)) {
                return client; // garbage in the header: stop at the last address we could trust
            }
            client = hop;
            if (!isTrusted(hop)) {
                return hop;
            }
        }
        return client;
    }

    public boolean isTrusted(String address) {
        return trusted.stream().anyMatch(c -> c.contains(address));
    }
}

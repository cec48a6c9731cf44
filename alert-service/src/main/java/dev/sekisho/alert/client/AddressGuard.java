package dev.sekisho.alert.client;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

import dev.sekisho.common.net.Cidr;

/**
 * Which addresses a webhook may reach: public ones, and private ones only where the receiver (or
 * {@code sekisho.alert.webhook-allowed-networks}) allows them. Checked on the addresses a name resolves to at the
 * moment of sending, and the connection goes to the address that was checked, so a name that resolves elsewhere later
 * (DNS rebinding) reaches nothing new; redirects are not followed.
 */
public final class AddressGuard {

    /** Loopback, private, shared (CGNAT), link-local (cloud metadata), multicast, reserved, documentation, NAT64. */
    static final List<Cidr> BLOCKED = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
            "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "64:ff9b::/96", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10",
            "ff00::/8").stream().map(Cidr::parse).toList();

    private AddressGuard() {
    }

    /** Why the address may not be reached, or null when it may. */
    public static String refusal(InetAddress address, List<Cidr> allowed) {
        InetAddress effective = unmapped(address);
        String text = effective.getHostAddress();
        for (Cidr network : allowed) {
            if (network.contains(text)) {
                return null;
            }
        }
        if (effective.isAnyLocalAddress() || effective.isLoopbackAddress() || effective.isLinkLocalAddress()
                || effective.isSiteLocalAddress() || effective.isMulticastAddress()) {
            return "resolves to a private, loopback or link-local address";
        }
        for (Cidr network : BLOCKED) {
            if (network.contains(text)) {
                return "resolves to a private, loopback or link-local address";
            }
        }
        return null;
    }

    /** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it maps. */
    static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                try {
                    return Inet4Address.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (java.net.UnknownHostException e) {
                    return address;
                }
            }
        }
        return address;
    }
}

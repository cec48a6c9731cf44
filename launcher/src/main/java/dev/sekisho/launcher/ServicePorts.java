package dev.sekisho.launcher;

import dev.sekisho.testing.servers.Ports;

/**
 * A service's two ports: the API (REST and gRPC) and the management interface ({@code /q/health}, {@code /q/metrics},
 * {@code /q/openapi}), which a deployment keeps off the network its callers reach.
 */
public record ServicePorts(int api, int management) {

    /** The API port given, the management port a free one. */
    public static ServicePorts withFreeManagement(int api) {
        return new ServicePorts(api, Ports.free());
    }

    public static ServicePorts free() {
        return new ServicePorts(Ports.free(), Ports.free());
    }
}

package dev.sekisho.testing.servers;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * A small OTLP/gRPC trace receiver: what the services (and Keycloak) export when no collector of the user's own is
 * named ({@code SEKISHO_OTLP_ENDPOINT}). It keeps the newest spans in memory (the integration tests ask it directly)
 * and, under {@code ./sekisho up}, appends them to {@code traces/spans.jsonl} in the data directory (rotated past
 * 32 MiB), which {@code ./sekisho trace [TRACE_ID|last]} prints as a tree of services, spans and durations.
 */
public final class TraceCollector implements AutoCloseable {

    /**
     * One received span, flattened: its service is its resource's {@code service.name}; {@code links} are the ids of
     * the spans it links (one batch written for the requests of several traces links theirs).
     */
    public record CollectedSpan(String traceId, String spanId, String parentSpanId, String service, String name, String kind,
            long startNanos, long endNanos, String status, Map<String, String> attributes, List<String> links) {

        public CollectedSpan {
            links = links == null ? List.of() : List.copyOf(links); // a sink written before links were kept
        }

        public double millis() {
            return (endNanos - startNanos) / 1_000_000.0;
        }
    }

    private static final int KEPT = 100_000;
    private static final long ROTATE_BYTES = 32L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final Deque<CollectedSpan> spans = new ArrayDeque<>();
    private final Path sink;

    private TraceCollector(int port, Path sink) throws IOException {
        this.sink = sink;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .maxInboundMessageSize(16 << 20).addService(new Receiver()).build().start();
    }

    /** Listens on 127.0.0.1:{@code port}; {@code sink} (a file, or null) also gets every span as a JSON line. */
    public static TraceCollector start(int port, Path sink) {
        try {
            if (sink != null) {
                Files.createDirectories(sink.toAbsolutePath().getParent());
            }
            return new TraceCollector(port, sink);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the trace collector on port " + port, e);
        }
    }

    /** Where to export: the value of {@code quarkus.otel.exporter.otlp.endpoint} or Keycloak's tracing endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Every span received and still kept, oldest first. */
    public synchronized List<CollectedSpan> spans() {
        return List.copyOf(spans);
    }

    /** The spans of one trace, in the order they started. */
    public List<CollectedSpan> trace(String traceId) {
        return ofTrace(spans(), traceId);
    }

    /** The spans of one trace, once each (an exporter may send a span again), in the order they started. */
    public static List<CollectedSpan> ofTrace(List<CollectedSpan> spans, String traceId) {
        Map<String, CollectedSpan> once = new LinkedHashMap<>();
        spans.stream().filter(s -> s.traceId().equals(traceId)).forEach(s -> once.putIfAbsent(s.spanId(), s));
        return once.values().stream().sorted(Comparator.comparingLong(CollectedSpan::startNanos)).toList();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }

    private synchronized void keep(List<CollectedSpan> received) {
        for (CollectedSpan span : received) {
            if (spans.size() == KEPT) {
                spans.removeFirst();
            }
            spans.addLast(span);
        }
        if (sink == null) {
            return;
        }
        try {
            if (Files.exists(sink) && Files.size(sink) > ROTATE_BYTES) {
                Files.move(sink, rotated(sink), StandardCopyOption.REPLACE_EXISTING);
            }
            try (BufferedWriter out = Files.newBufferedWriter(sink, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                for (CollectedSpan span : received) {
                    out.write(JSON.writeValueAsString(span));
                    out.newLine();
                }
            }
        } catch (IOException e) {
            System.err.println("trace collector: cannot write " + sink + ": " + e.getMessage());
        }
    }

    private final class Receiver extends TraceServiceGrpc.TraceServiceImplBase {
        @Override
        public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
            keep(flatten(request));
            response.onNext(ExportTraceServiceResponse.getDefaultInstance());
            response.onCompleted();
        }
    }

    static List<CollectedSpan> flatten(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        List<CollectedSpan> out = new ArrayList<>();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            String service = resource.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
                    .map(a -> text(a.getValue())).findFirst().orElse("unknown");
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    Map<String, String> attributes = new LinkedHashMap<>();
                    for (KeyValue attribute : span.getAttributesList()) {
                        attributes.put(attribute.getKey(), text(attribute.getValue()));
                    }
                    out.add(new CollectedSpan(hex.formatHex(span.getTraceId().toByteArray()), hex.formatHex(span.getSpanId().toByteArray()),
                            hex.formatHex(span.getParentSpanId().toByteArray()), service, span.getName(),
                            span.getKind().name().replace("SPAN_KIND_", ""), span.getStartTimeUnixNano(), span.getEndTimeUnixNano(),
                            span.getStatus().getCode().name().replace("STATUS_CODE_", ""), attributes,
                            span.getLinksList().stream().map(link -> hex.formatHex(link.getSpanId().toByteArray())).toList()));
                }
            }
        }
        return out;
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case BOOL_VALUE -> String.valueOf(value.getBoolValue());
            case INT_VALUE -> String.valueOf(value.getIntValue());
            case DOUBLE_VALUE -> String.valueOf(value.getDoubleValue());
            case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(TraceCollector::text)
                    .collect(Collectors.joining(",", "[", "]"));
            default -> value.toString().strip();
        };
    }

    /** The spans a collector with this sink wrote, the rotated file's first. */
    public static List<CollectedSpan> read(Path sink) {
        List<CollectedSpan> all = new ArrayList<>();
        for (Path file : List.of(rotated(sink), sink)) {
            if (!Files.exists(file)) {
                continue;
            }
            try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
                for (String line : (Iterable<String>) lines::iterator) {
                    try {
                        all.add(JSON.readValue(line, CollectedSpan.class));
                    } catch (IOException torn) {
                        // a line cut by a crash or a rotation: skipped
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    /**
     * The newest request's trace: the one whose root, a server span of a Sekisho service, started last (not a delivery
     * that continued an older trace, nor Keycloak's own housekeeping).
     */
    public static Optional<String> lastTrace(List<CollectedSpan> spans) {
        return spans.stream().filter(s -> s.parentSpanId().isEmpty() && s.kind().equals("SERVER") && !s.service().equals("keycloak"))
                .max(Comparator.comparingLong(CollectedSpan::startNanos)).map(CollectedSpan::traceId);
    }

    /**
     * One trace as an indented tree: each span's name, service and duration under its parent, children in the order
     * they started; a span whose parent was not received (Keycloak's, say, or a sampled-out one) is a root of its own.
     */
    public static String tree(List<CollectedSpan> trace) {
        if (trace.isEmpty()) {
            return "no such trace\n";
        }
        Set<String> ids = trace.stream().map(CollectedSpan::spanId).collect(Collectors.toSet());
        Map<String, List<CollectedSpan>> children = trace.stream().filter(s -> ids.contains(s.parentSpanId()))
                .collect(Collectors.groupingBy(CollectedSpan::parentSpanId));
        List<CollectedSpan> roots = trace.stream().filter(s -> !ids.contains(s.parentSpanId()))
                .sorted(Comparator.comparingLong(CollectedSpan::startNanos)).toList();
        Set<String> services = new TreeSet<>(trace.stream().map(CollectedSpan::service).toList());
        long start = trace.stream().mapToLong(CollectedSpan::startNanos).min().orElse(0);
        long end = trace.stream().mapToLong(CollectedSpan::endNanos).max().orElse(0);
        StringBuilder out = new StringBuilder(String.format("trace %s: %d spans, %s, %.1f ms%n", trace.get(0).traceId(), trace.size(),
                String.join(" ", services), (end - start) / 1_000_000.0));
        roots.forEach(root -> print(root, children, 0, out));
        return out.toString();
    }

    private static void print(CollectedSpan span, Map<String, List<CollectedSpan>> children, int depth, StringBuilder out) {
        String label = "  ".repeat(depth) + span.name();
        out.append(String.format("%-64s %-18s %10.1f ms%s%s%n", label, span.service(), span.millis(),
                span.status().equals("ERROR") ? "  ERROR" : "", span.links().isEmpty() ? "" : "  +" + span.links().size() + " linked"));
        children.getOrDefault(span.spanId(), List.of()).stream().sorted(Comparator.comparingLong(CollectedSpan::startNanos))
                .forEach(child -> print(child, children, depth + 1, out));
    }

    private static Path rotated(Path sink) {
        return sink.resolveSibling(sink.getFileName() + ".1");
    }

    /** {@code serve PORT FILE}: runs until killed (./sekisho up starts it); {@code print FILE TRACE_ID|last}. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length == 3 && args[0].equals("serve")) {
            TraceCollector collector = start(Integer.parseInt(args[1]), Path.of(args[2]));
            System.out.println("trace collector: OTLP/gRPC on " + collector.endpoint() + ", spans to " + args[2]);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                collector.close();
                stopped.countDown();
            }));
            stopped.await();
            return;
        }
        if (args.length == 3 && args[0].equals("print")) {
            List<CollectedSpan> all = read(Path.of(args[1]));
            Optional<String> id = args[2].equals("last") ? lastTrace(all) : Optional.of(args[2].toLowerCase(java.util.Locale.ROOT));
            if (id.isEmpty()) {
                System.err.println("no traces yet in " + args[1]);
                System.exit(1);
            }
            List<CollectedSpan> trace = ofTrace(all, id.get());
            System.out.print(tree(trace));
            System.exit(trace.isEmpty() ? 1 : 0);
        }
        System.err.println("usage: TraceCollector serve PORT FILE | print FILE TRACE_ID|last");
        System.exit(2);
    }
}

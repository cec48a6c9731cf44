package dev.sekisho.common.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;

/**
 * Where a recorded event came from in its trace, so that work done for it later (an outbox delivery, an ingest)
 * continues that trace. An event keeps the current trace id always (audit records and alert evidence name it) and
 * the current span id when the trace is sampled.
 */
public record TraceOrigin(String traceId, String spanId) {

    public static final TraceOrigin NONE = new TraceOrigin("", "");

    /** The current span's trace id, and its span id when sampled; {@link #NONE} outside a trace. */
    public static TraceOrigin current() {
        SpanContext context = Span.current().getSpanContext();
        if (!context.isValid()) {
            return NONE;
        }
        return new TraceOrigin(context.getTraceId(), context.isSampled() ? context.getSpanId() : "");
    }

    /**
     * The context whose children continue the origin's trace under its span; the root context when the origin names
     * no valid sampled span (an event from outside any trace, or from an unsampled one: its work is not traced either).
     */
    public Context parent() {
        SpanContext remote = SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault());
        return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
    }

    public boolean traced() {
        return !spanId.isEmpty() && SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault())
                .isValid();
    }
}

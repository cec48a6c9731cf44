package dev.sekisho.common.tracing;

import java.util.List;

import jakarta.inject.Singleton;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

/**
 * Every service's sampler (Quarkus takes a {@link Sampler} bean over {@code quarkus.otel.traces.sampler}, and still
 * drops its own /q/* requests): a trace starts where work starts, at a request, a named background step or an outbox
 * entry's producer, and everything beneath follows its parent. A client call with no parent at all, a Redis or
 * PostgreSQL command or a peer call, is background polling that found nothing to do (an outbox relay pass, a
 * scheduler's query): it is not sampled, so idle services send no spans. Work a background task does find is traced
 * from a span that names it (an outbox delivery in its producer's trace, a webhook delivery).
 */
@Singleton
public class WorkOnlySampler implements Sampler {

    private final Sampler followParent = Sampler.parentBased(Sampler.alwaysOn());

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind, Attributes attributes,
            List<LinkData> parentLinks) {
        if (spanKind == SpanKind.CLIENT && !Span.fromContext(parentContext).getSpanContext().isValid()) {
            return SamplingResult.drop();
        }
        return followParent.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
        return "WorkOnly{" + followParent.getDescription() + "}";
    }
}

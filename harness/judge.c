/*
 * judge.c - the case's side of judging (cases/case.h): expectations,
 * observations, errors, skip and known defects, each one record in the
 * point (harness/point.h), which alone decides the verdict.
 */
#include "case.h"

#include <glib.h>
#include <stdarg.h>

bool expect_cmp(struct case_ctx *ctx, const char *name, enum cmp op,
		long long expected, long long measured, const char *evidence)
{
	return point_expect(ctx->point, ctx->scope, name, op,
			    VAL_I(expected), VAL_NONE_, VAL_I(measured), false,
			    evidence);
}

bool expect_eq(struct case_ctx *ctx, const char *name, long long expected,
	       long long measured, const char *evidence)
{
	return expect_cmp(ctx, name, CMP_EQ, expected, measured, evidence);
}

bool expect_num(struct case_ctx *ctx, const char *name, enum cmp op,
		double expected, double measured, const char *evidence)
{
	return point_expect(ctx->point, ctx->scope, name, op,
			    VAL_D(expected), VAL_NONE_, VAL_D(measured), false,
			    evidence);
}

bool expect_range(struct case_ctx *ctx, const char *name, double lo,
		  double hi, double measured, const char *evidence)
{
	return point_expect(ctx->point, ctx->scope, name, CMP_RANGE,
			    VAL_D(lo), VAL_D(hi), VAL_D(measured), false,
			    evidence);
}

bool expect_str(struct case_ctx *ctx, const char *name, const char *expected,
		const char *measured, const char *evidence)
{
	return point_expect(ctx->point, ctx->scope, name, CMP_STREQ,
			    VAL_S(expected), VAL_NONE_, VAL_S(measured), false,
			    evidence);
}

bool expect_true(struct case_ctx *ctx, const char *name, bool ok,
		 const char *expected, const char *measured,
		 const char *evidence)
{
	return point_expect(ctx->point, ctx->scope, name, CMP_TRUE,
			    VAL_S(expected ? expected : "true"), VAL_NONE_,
			    VAL_S(measured ? measured : (ok ? "true" :
							 "false")),
			    ok, evidence);
}

void observe_int(struct case_ctx *ctx, const char *name, long long v,
		 const char *unit)
{
	point_observe(ctx->point, ctx->scope, name, VAL_I(v), unit, NULL);
}

void observe_num(struct case_ctx *ctx, const char *name, double v,
		 const char *unit)
{
	point_observe(ctx->point, ctx->scope, name, VAL_D(v), unit, NULL);
}

void observe(struct case_ctx *ctx, const char *name, struct val v,
	     const char *unit, const char *evidence)
{
	point_observe(ctx->point, ctx->scope, name, v, unit, evidence);
}

void observe_str(struct case_ctx *ctx, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	point_observe(ctx->point, ctx->scope, name, VAL_S(s), NULL, NULL);
	g_free(s);
}

void case_error(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	point_error(ctx->point, ctx->scope, s);
	g_free(s);
}

void case_skip(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	point_skip(ctx->point, s);
	g_free(s);
}

void case_known(struct case_ctx *ctx, const char *defect,
		const char *const *explains)
{
	point_known(ctx->point, defect, explains);
}

bool case_failed(const struct case_ctx *ctx)
{
	return point_failed(ctx->point);
}

const char *case_phase_now(const struct case_ctx *ctx)
{
	return point_last_phase(ctx->point);
}

void case_phase(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	point_phase(ctx->point, s);
	g_free(s);
}

void case_scope(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	g_free(ctx->scope);
	ctx->scope = NULL;
	if (!fmt)
		return;
	va_start(ap, fmt);
	ctx->scope = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

const char *case_fmt(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!ctx->strs)
		ctx->strs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(ctx->strs, s);
	return s;
}

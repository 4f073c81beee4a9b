/**
 * The wire shapes of the HTTP APIs jseek speaks, read and written in one place so that every caller (the server,
 * {@code jseek batch}, {@code jseek run --json}, LangChain4j) has one strictness and one error sentence per mistake.
 * <p>
 * One class per API: {@link dev.jseek.wire.OpenAiChat} (chat completions: messages, tool calls),
 * {@link dev.jseek.wire.OpenAiReply} (the sampling and reply fields of a request, into
 * {@link dev.jseek.chat.ReplyOptions}), {@link dev.jseek.wire.OpenAiCompletion} (legacy completions),
 * {@link dev.jseek.wire.OpenAiResult} (finish reasons, usage, tool calls out, ids) and
 * {@link dev.jseek.wire.TurnRecord} (jseek's own record of a turn). The next APIs (Anthropic Messages, OpenAI
 * Responses, Ollama) go here as classes of their own beside these, reading into the same {@code ChatMessage}s and
 * {@code ReplyOptions} and throwing the same {@link dev.jseek.wire.InvalidFieldException}.
 * <p>
 * Every mistake is an {@link dev.jseek.wire.InvalidFieldException}: a {@link dev.jseek.InvalidRequestException} (exit
 * code 2 in the CLI, HTTP 400 in the server, an error record in a batch) that also carries OpenAI's error code.
 */
package dev.jseek.wire;

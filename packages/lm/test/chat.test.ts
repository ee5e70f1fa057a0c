import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from '../src/chat.js';
import { HfTokenizer } from '../src/tokenizer.js';
import { thrown } from './helpers.js';
import { sentencePieceJson } from './tokenizer-fixtures.js';

// Templates as the hub's tokenizer_config.json files hold them (Qwen2 ChatML, Llama-2 chat).
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA2 =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

describe('applyChatTemplate (tokenizer_config.json chat_template via @huggingface/jinja)', () => {
  const chat = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ];

  it('renders ChatML with and without the generation prompt', () => {
    const config = { chat_template: CHATML, eos_token: '<|im_end|>' };
    expect(applyChatTemplate(config, chat)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
    expect(applyChatTemplate(config, chat, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('passes special tokens (string or { content }) and raise_exception as HF does', () => {
    const config = { chat_template: LLAMA2, bos_token: { content: '<s>', lstrip: false }, eos_token: '</s>' };
    const turns = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ];
    expect(applyChatTemplate(config, turns)).toBe('<s>[INST] a [/INST]b</s>[INST] c [/INST]');
    const err = thrown(() => applyChatTemplate(config, [turns[1]!]));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/roles must alternate/);
  });

  it('picks named templates (tool_use when tools are given), takes extra variables and refuses what it cannot render', () => {
    const config = {
      chat_template: [
        { name: 'default', template: '{{ messages[0].content }}|{{ who }}' },
        { name: 'tool_use', template: '{{ tools | length }} tools' },
      ],
    };
    expect(applyChatTemplate(config, chat, { variables: { who: 'me' } })).toBe('Be brief.|me');
    expect(applyChatTemplate(config, chat, { tools: [{ name: 'f' }, { name: 'g' }] })).toBe('2 tools');
    expect(() => applyChatTemplate(config, chat, { templateName: 'rag' })).toThrow(
      /templateName: expected one of 'default', 'tool_use', got 'rag'/,
    );
    expect(thrown(() => applyChatTemplate({}, chat)).code).toBe('NOT_FOUND');
    expect(thrown(() => applyChatTemplate({ chat_template: '{% for %}' }, chat)).code).toBe('MALFORMED_FILE');
    expect(() => applyChatTemplate({ chat_template: CHATML }, chat, { add_generation_prompt: true } as never)).toThrow(
      /unknown option 'add_generation_prompt'/,
    );
    expect(() => applyChatTemplate({ chat_template: CHATML }, [{ content: 'x' }] as never)).toThrow(
      /messages: expected/,
    );
  });

  it('HfTokenizer.applyChatTemplate reads the template from tokenizer_config.json or chat_template.jinja', () => {
    const { tokenizer, config } = sentencePieceJson();
    const dir = mkdtempSync(join(tmpdir(), 'lab-chat-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: CHATML }));
    const tok = HfTokenizer.fromDirectory(dir);
    expect(tok.applyChatTemplate(chat)).toBe(applyChatTemplate({ chat_template: CHATML }, chat));
    writeFileSync(join(dir, 'chat_template.jinja'), '{{ bos_token }}{{ messages | length }}');
    const bos =
      typeof config.bos_token === 'string' ? config.bos_token : (config.bos_token as { content: string }).content;
    expect(HfTokenizer.fromDirectory(dir).applyChatTemplate(chat)).toBe(`${bos}2`);
  });
});

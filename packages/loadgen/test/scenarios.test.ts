import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens, tokenize } from '@hlp/model';
import { SCENARIOS, SCENARIO_NAMES, buildPrompt, embeddingsBodies, embeddingsHeaders, isScenarioName, scenarioPrompts } from '@hlp/loadgen';

describe('scenarios', () => {
  it('are short 32, medium 256 and full 1024 tokens', () => {
    assert.deepEqual(
      SCENARIO_NAMES.map((n) => [n, SCENARIOS[n].tokens]),
      [
        ['short', 32],
        ['medium', 256],
        ['full', 1024],
      ],
    );
    assert.equal(isScenarioName('short'), true);
    assert.equal(isScenarioName('toString'), false);
  });

  for (const name of SCENARIO_NAMES) {
    it(`${name}: every prompt has exactly ${SCENARIOS[name].tokens} GPT-2 tokens`, () => {
      const prompts = scenarioPrompts(name);
      assert.equal(prompts.length, 16);
      for (const p of prompts) {
        assert.equal(tokenize(p).length, SCENARIOS[name].tokens);
        assert.equal(countTokens(p), SCENARIOS[name].tokens);
      }
      assert.equal(new Set(prompts).size, prompts.length, 'prompts are distinct');
    });
  }

  it('is deterministic in the seed and differs between seeds', () => {
    assert.deepEqual(scenarioPrompts('short', { seed: 7 }), scenarioPrompts('short', { seed: 7 }));
    assert.notDeepEqual(scenarioPrompts('short', { seed: 7 }), scenarioPrompts('short', { seed: 8 }));
  });

  it('hits every length from 1 to 64 exactly', () => {
    for (let n = 1; n <= 64; n++) assert.equal(countTokens(buildPrompt(n, 3, n)), n);
  });

  it('refuses lengths outside GPT-2 context', () => {
    assert.throws(() => buildPrompt(0), RangeError);
    assert.throws(() => buildPrompt(1025), RangeError);
    assert.throws(() => scenarioPrompts('short', { count: 0 }), RangeError);
  });

  it('requests are OpenAI embeddings bodies with the default model and an optional bearer token', () => {
    const [body] = embeddingsBodies(['hello world']);
    assert.deepEqual(JSON.parse(body!.toString('utf8')), { model: 'hlp-affine', input: 'hello world' });
    assert.deepEqual(JSON.parse(embeddingsBodies(['x'], { model: 'hlp-mlp' })[0]!.toString('utf8')), { model: 'hlp-mlp', input: 'x' });
    assert.deepEqual(embeddingsHeaders(), { 'content-type': 'application/json' });
    assert.deepEqual(embeddingsHeaders({ token: 't0k' }), { 'content-type': 'application/json', authorization: 'Bearer t0k' });
  });
});

package dev.jseek;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerParamsTest {

    @Test
    void deepSeekPresetsCarryTheirRecommendedValues() {
        SamplerParams r1 = SamplingPreset.named("r1").params();
        assertEquals(0.6f, r1.temperature());
        assertEquals(0.95f, r1.topP());
        assertEquals(0f, SamplingPreset.named("GREEDY").params().temperature());
        assertEquals(SamplerParams.deepSeekR1().temperature(), r1.temperature());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SamplingPreset.named("hot")).getMessage().contains("r1"));
    }

    @Test
    void absurdValuesAreRejectedWithTheValueInTheMessage() {
        SamplerParams g = SamplerParams.greedy();
        assertTrue(assertThrows(InvalidRequestException.class, () -> g.withTopP(7)).getMessage().contains("7.0"));
        assertThrows(InvalidRequestException.class, () -> g.withTopP(0));
        assertThrows(InvalidRequestException.class, () -> g.withTemperature(-1));
        assertThrows(InvalidRequestException.class, () -> g.withTemperature(Float.NaN));
        assertThrows(InvalidRequestException.class, () -> g.withTopK(-3));
        assertThrows(InvalidRequestException.class, () -> g.withMinP(1.5f));
        assertThrows(InvalidRequestException.class, () -> g.withRepeatPenalty(0, 64));
        assertThrows(InvalidRequestException.class, () -> g.withSeed(1L << 33));
        assertThrows(InvalidRequestException.class, () -> ContextParams.defaults().withContextSize(-1));
        assertThrows(InvalidRequestException.class, () -> ContextParams.defaults().withThreads(0));
    }

    @Test
    void sampledPresetsKeepLlamaCppsTopKSoTopPNeverSortsTheWholeVocabulary() {
        for (SamplingPreset p : SamplingPreset.values()) {
            SamplerParams params = p.params();
            assertEquals(params.temperature() > 0 ? 40 : 0, params.topK(), p.name());
        }
        assertEquals(SamplingPreset.R1.params(), SamplerParams.deepSeekR1());
    }
}

"""STAN (paper §3) and its two single-modality ablations (§4.2).

One module covers all three: ``stan`` composes audio and visual, ``stan_visual``
drops the audio, ``stan_audio`` drops the visual (and with it space attention).

The space-time feature x^st = [v̂_t ; tile(â_t)] (Eq. 1) is never materialised:
every consumer of it is linear in its channels (the CAM head, the attention-
weighted pooling of Eq. 6), so the tiled audio half is applied per segment and
broadcast. The result is the same, at a fraction of the memory traffic.

``pooling`` picks how A^st weights x^st before the classifier:

- ``"mean"``: the paper's Eq. 6, Σ A^st·x^st / (T·H·W). The classification loss then rewards scaling every
  position up, so on the demo both gates saturate at ~1 and say nothing (reports/demo).
- ``"normalized"``: Σ A^st·x^st / Σ A^st, an attention-weighted average over T×H×W.
- ``"factored"``: space normalised within each segment, time over segments:
  Σ_t (A^t_t / Σ A^t) Σ_hw (A^s_thw / Σ_hw A^s_t) x^st_thw.

Under either normalisation only relative attention reaches the logits, so any positive rescaling of a gate over the
axes it is normalised on is the same model. The attention is reported in one canonical scale, divided by its maximum
over those axes (time: per clip; space: per clip for "normalized", per segment for "factored"). That keeps it in
(0, 1] with the peak at 1, so the 0.5 threshold of the perturbation test reads "at least half the peak weight", and
it is exactly what the model pools with: holding it fixed reproduces the forward.

``time_gating`` picks how A^t is computed from the class activation values:

- ``"mlp"``: the paper's F^t_gate, an MLP over the K values of each segment's CAV (Eq. 4). It is class-agnostic and
  additive in the two senses, so on the demo it attends to any sound, an off-screen one included.
- ``"agreement"`` (beyond the paper): A^t_t = max_k σ(a_tk)·σ(v_tk), where a_tk and v_tk are the audio and visual
  halves of CAV_tk (F_CAV is linear, so CAV = a + v exactly, with no new weights). A second counts when some class is
  both heard and seen in it: the audio-visual event's definition.

``space_gating`` picks how A^s is computed from the class activation maps:

- ``"conv"``: the paper's F_space-gate, a convolution over the K maps of each segment (Eq. 5; ``space_gate_layers``).
- ``"agreement"`` (beyond the paper): A^s_thw = max_k σ(v_thwk)·σ(a_tk), where v_thwk and a_tk are the visual half
  of CAM_thwk and its tiled audio half (F_CAM is a 1×1 conv, so CAM = v + a exactly, with no new weights). A
  location counts when it shows a class that is heard in its second: where the sounding object is.

``aux_pooling`` picks how L_CAM and L_CAV (Eq. 8) pool the class maps into clip logits: ``"mean"``, the paper's
global average, asks every position and second to show the clip's classes; ``"attention"`` (beyond the paper)
averages them with the attention weights, so only where and when the model looks must.

``audio_context`` picks what the audio MLPs read per second: ``"mean"``, the paper's [a_t, ā] with the clip's mean
audio ā beside each second; ``"none"`` (beyond the paper), a_t alone. Through ā every second's feature depends on
every other second's sound, which the time attention cannot show: noise on seconds it rates irrelevant still moves
the prediction.

``space_sharpness`` and ``time_sharpness`` (γ, beyond the paper at any value but 1) raise A^s and A^t to the power γ
before they pool: with γ > 1 the locations (seconds) below the peak keep less weight, so the attention concentrates
on fewer of them.

``space_floor`` and ``time_floor`` (τ, beyond the paper at any value but 0; normalised pooling only) cut the
canonical attention below τ of its peak to exactly 0, (A − τ)₊ / (1 − τ), after the power: a location (second)
under the floor then has no weight in the pooled feature at all, so nothing there can move the prediction, and the
attention shown is still exactly what the model pools with.

``space_contrast`` and ``time_contrast`` (c ≥ 1, beyond the paper at any value but 1; normalised pooling only) map
the canonical attention A to A^c / (A^c + (1 − A)^c), after the power and the floor: half the peak stays half the
peak, the peak stays 1, and values above half rise while those below fall, so the weight commits to the locations
(seconds) the perturbation test calls relevant (A ≥ 0.5) and leaves less on those it calls irrelevant.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.models.base import AVModel, Explanation, from_maps, mlp, to_maps, with_global_audio
from explorer.models.registry import Preset, register_model

POOLINGS = ("mean", "normalized", "factored")
TIME_GATINGS = ("mlp", "agreement")
SPACE_GATINGS = ("conv", "agreement")
AUX_POOLINGS = ("mean", "attention")
AUDIO_CONTEXTS = ("mean", "none")


def _space_gate(num_classes: int, hidden: int, layers: int) -> nn.Module:
    """F_space-gate before its sigmoid. ``layers=1`` is the paper's single conv over the K maps. The default adds a
    1×1 conv + ReLU first: the audio part of every CAM is the same at all locations, so a purely linear gate cannot
    prefer the object that sounds over a silent one of another class; the ReLU lets it respond to "class k's map is
    high" rather than to a fixed sum of maps."""
    if layers == 1:
        return nn.Conv2d(num_classes, 1, 3, padding=1)
    if layers == 2:
        return nn.Sequential(
            nn.Conv2d(num_classes, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 3, padding=1)
        )
    raise ValueError(f"space_gate_layers must be 1 or 2, got {layers}")


class _STANBase(AVModel):
    def __init__(
        self,
        num_classes: int,
        audio_dim: int,
        visual_dim: int,
        hidden: int = 128,
        space_gate_layers: int = 2,
        pooling: str = "mean",
        time_gating: str = "mlp",
        space_gating: str = "conv",
        aux_pooling: str = "mean",
        audio_context: str = "mean",
        space_sharpness: float = 1.0,
        time_sharpness: float = 1.0,
        space_floor: float = 0.0,
        time_floor: float = 0.0,
        space_contrast: float = 1.0,
        time_contrast: float = 1.0,
        **config,
    ):
        for name, value, choices in (
            ("pooling", pooling, POOLINGS),
            ("time_gating", time_gating, TIME_GATINGS),
            ("space_gating", space_gating, SPACE_GATINGS),
            ("aux_pooling", aux_pooling, AUX_POOLINGS),
            ("audio_context", audio_context, AUDIO_CONTEXTS),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        for name, sharpness in (("space_sharpness", space_sharpness), ("time_sharpness", time_sharpness)):
            if not sharpness > 0:
                raise ValueError(f"{name} must be positive, got {sharpness!r}")
        for name, floor in (("space_floor", space_floor), ("time_floor", time_floor)):
            if not 0 <= floor < 1:
                raise ValueError(f"{name} must be in [0, 1), got {floor!r}")
        for name, contrast in (("space_contrast", space_contrast), ("time_contrast", time_contrast)):
            if not contrast >= 1:
                raise ValueError(f"{name} must be at least 1, got {contrast!r}")
        # Both shape the attention relative to its peak, which only the normalised poolings give it.
        peak_relative = {"space_floor": space_floor != 0, "time_floor": time_floor != 0}
        peak_relative |= {"space_contrast": space_contrast != 1, "time_contrast": time_contrast != 1}
        shaped = [name for name, changed in peak_relative.items() if changed]
        if shaped and pooling == "mean":
            raise ValueError(
                f"{shaped[0]} needs a normalised pooling: under the paper's mean the attention has no peak scale"
            )
        if time_gating == "agreement" and not (self.uses_audio and self.uses_visual):
            raise ValueError('time_gating="agreement" needs both senses; the single-sense ablations use "mlp".')
        if space_gating == "agreement" and not (self.uses_audio and self.uses_visual):
            raise ValueError('space_gating="agreement" needs both senses; the single-sense ablations use "conv".')
        super().__init__(
            num_classes,
            audio_dim,
            visual_dim,
            hidden=hidden,
            space_gate_layers=space_gate_layers,
            pooling=pooling,
            time_gating=time_gating,
            space_gating=space_gating,
            aux_pooling=aux_pooling,
            audio_context=audio_context,
            space_sharpness=space_sharpness,
            time_sharpness=time_sharpness,
            space_floor=space_floor,
            time_floor=time_floor,
            space_contrast=space_contrast,
            time_contrast=time_contrast,
            **config,
        )
        self.pooling = pooling
        self.time_gating = time_gating
        self.space_gating = space_gating
        self.aux_pooling = aux_pooling
        self.audio_context = audio_context
        self.space_sharpness = space_sharpness
        self.time_sharpness = time_sharpness
        self.space_floor = space_floor
        self.time_floor = time_floor
        self.space_contrast = space_contrast
        self.time_contrast = time_contrast
        k, d = num_classes, hidden
        space_channels = 0
        if self.uses_audio:
            audio_in = 2 * audio_dim if audio_context == "mean" else audio_dim
            self.audio_space = mlp(audio_in, d, d)  # F^st_MLP([a_t, ā]), tiled over H×W (Eq. 1)
            self.audio_time = mlp(audio_in, d, d)  # F^t_MLP([a_t, ā]) (Eq. 3)
            space_channels += d
        if self.uses_visual:
            self.visual_space = nn.Sequential(nn.Conv2d(visual_dim, d, 1), nn.ReLU(inplace=True))  # F^st_conv (Eq. 1)
            self.visual_time = mlp(visual_dim, d, d)  # F^t_MLP(v̄_t) (Eq. 3)
            space_channels += d
            self.cam_head = nn.Conv2d(space_channels, k, 1)  # F_CAM: K maps per segment (Eq. 2)
            if space_gating == "conv":
                self.space_gate = _space_gate(k, d, space_gate_layers)
        self.cav_head = nn.Linear(d, k)  # F_CAV: K values per segment (Eq. 4)
        if time_gating == "mlp":  # F^t_gate: MLP + sigmoid → A^t
            self.time_gate = nn.Sequential(nn.Linear(k, d), nn.ReLU(inplace=True), nn.Linear(d, 1))
        self.classifier = nn.Linear(space_channels if self.uses_visual else d, k)

    # -- the halves of x^st, before their ReLU (pre-activations are linear in the input features) -------------------
    def _visual_pre(self, visual: Tensor, bias: bool = True) -> Tensor:
        """N×T×H×W×D: F^st_conv's 1×1 conv, applied channels-last."""
        conv = self.visual_space[0]
        return F.linear(visual, conv.weight.flatten(1), conv.bias if bias else None)

    def _audio_pre(self, audio: Tensor, bias: bool = True) -> Tensor:
        """N×T×D: the first layer of F^st_MLP([a_t, ā])."""
        first = self.audio_space[0]
        return F.linear(self._audio_input(audio), first.weight, first.bias if bias else None)

    def _audio_input(self, audio: Tensor) -> Tensor:
        """What the audio MLPs read per segment: [a_t, ā] (Eq. 1), or a_t alone with ``audio_context="none"``."""
        return with_global_audio(audio) if self.audio_context == "mean" else audio

    def _audio_post(self, audio_pre: Tensor) -> Tensor:
        """â_t (N×T×D) from its first layer's pre-activation."""
        return self.audio_space[2](F.relu(audio_pre))

    def _attention(
        self,
        log_attention: Tensor,
        dims: tuple[int, ...],
        sharpness: float = 1.0,
        floor: float = 0.0,
        contrast: float = 1.0,
    ) -> Tensor:
        """Attention from its log: raised to ``sharpness`` and, under normalised pooling, in its canonical scale
        (divided by its maximum over ``dims``), computed in log space so that a gate far below its peak never divides
        0 by 0; then cut to 0 under ``floor`` and given its ``contrast`` (the peak stays 1 through both, so the
        pooled weights never all vanish)."""
        log_attention = log_attention * sharpness
        if self.pooling != "mean":
            log_attention = log_attention - log_attention.amax(dim=dims, keepdim=True)
        attention = torch.exp(log_attention)
        if floor:
            attention = (attention - floor).clamp(min=0) / (1 - floor)
        if contrast != 1:  # c ≥ 1: both powers have a finite slope on [0, 1], and their sum is at least 2·0.5^c
            raised = attention**contrast
            attention = raised / (raised + (1 - attention) ** contrast)
        return attention

    def _weights(self, space_attention: Tensor | None, time_attention: Tensor) -> Tensor:
        """Each position's weight in the pooled x^st (N×T×H×W; N×T without vision): A^st = A^s ⊗ A^t (Eq. 5)
        divided as ``pooling`` says, so that the pooled feature is a plain weighted sum."""
        if self.pooling == "factored":
            time_attention = time_attention / time_attention.sum(dim=1, keepdim=True)
            if space_attention is not None:
                space_attention = space_attention / space_attention.sum(dim=(2, 3), keepdim=True)
        weights = time_attention if space_attention is None else space_attention * time_attention[:, :, None, None]
        if self.pooling == "mean":
            return weights / weights[0].numel()
        if self.pooling == "normalized":
            return weights / weights.flatten(1).sum(dim=1).view(-1, *[1] * (weights.dim() - 1))
        return weights

    def _classify(self, visual_map: Tensor | None, audio_vectors: Tensor | None, weights: Tensor) -> Tensor:
        """Logits of the attention-pooled x^st (Eq. 6 and §3.3)."""
        return self.classifier(self._pool(_weighted_sum(visual_map, weights), audio_vectors, weights))

    def _pool(self, visual_sum: Tensor | None, audio_vectors: Tensor | None, weights: Tensor) -> Tensor:
        """[Σ w·v̂ ; Σ w·tile(â)]: the pooled x^st from the visual half's weighted sum."""
        pooled = [] if visual_sum is None else [visual_sum]
        if audio_vectors is not None:
            segment_weights = weights.flatten(2).sum(-1) if weights.dim() > 2 else weights
            pooled.append(_weighted_sum(audio_vectors, segment_weights))
        return torch.cat(pooled, dim=-1) if len(pooled) > 1 else pooled[0]

    def _class_activation_halves(
        self, visual_map: Tensor, audio_vectors: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """F_CAM over x^st split into its visual half (N×T×H×W×K) and its audio half (N×T×K, the same at every
        location), each with half the bias; their sum is the CAM. Without audio the visual half takes all of it."""
        weight, bias = self.cam_head.weight.flatten(1), self.cam_head.bias
        if audio_vectors is None:
            return F.linear(visual_map, weight, bias), None
        d = visual_map.shape[-1]
        return F.linear(visual_map, weight[:, :d], bias / 2), F.linear(audio_vectors, weight[:, d:], bias / 2)

    def _space_attention(self, cam: Tensor, seen: Tensor, heard: Tensor | None) -> Tensor:
        """A^s (N×T×H×W) as ``space_gating`` says, in the canonical scale of ``pooling``."""
        n, t = cam.shape[:2]
        space_dims = (2, 3) if self.pooling == "factored" else (1, 2, 3)
        if self.space_gating == "conv":
            gate = self.space_gate(to_maps(cam))  # (N·T)×1×H×W
            log_attention = F.logsigmoid(from_maps(gate, n, t).squeeze(-1))
        else:  # log max_k σ(v)·σ(a)
            log_attention = (F.logsigmoid(seen) + F.logsigmoid(heard)[:, :, None, None, :]).amax(dim=-1)
        return self._attention(log_attention, space_dims, self.space_sharpness, self.space_floor, self.space_contrast)

    def _time_feature(self, audio: Tensor, visual: Tensor) -> Tensor:
        """x^t (N×T×D): audio and spatially pooled visual, composed by addition (Eq. 3)."""
        feature = 0
        if self.uses_audio:
            feature = feature + self.audio_time(self._audio_input(audio))
        if self.uses_visual:
            feature = feature + self.visual_time(visual.mean(dim=(2, 3)))
        return feature

    def _time_attention(self, audio: Tensor, visual: Tensor) -> tuple[Tensor, Tensor]:
        """(CAV N×T×K, A^t N×T) as ``time_gating`` says."""
        if self.time_gating == "mlp":
            cav = self.cav_head(self._time_feature(audio, visual))
            log_attention = F.logsigmoid(self.time_gate(cav).squeeze(-1))
            return cav, self._attention(log_attention, (1,), self.time_sharpness, self.time_floor, self.time_contrast)
        half_bias = self.cav_head.bias / 2  # CAV = a + v: each half takes half the bias
        heard = F.linear(self.audio_time(self._audio_input(audio)), self.cav_head.weight, half_bias)
        seen = F.linear(self.visual_time(visual.mean(dim=(2, 3))), self.cav_head.weight, half_bias)
        log_attention = (F.logsigmoid(heard) + F.logsigmoid(seen)).amax(dim=-1)  # log max_k σ(a)·σ(v)
        return heard + seen, self._attention(
            log_attention, (1,), self.time_sharpness, self.time_floor, self.time_contrast
        )

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        visual_map = F.relu(self._visual_pre(visual)) if self.uses_visual else None
        audio_vectors = self._audio_post(self._audio_pre(audio)) if self.uses_audio else None

        if attention is not None:  # perturbation test: the clean clip's attention stays fixed, heads are not needed
            space_attention = attention.space_attention if self.uses_visual else None
            logits = self._classify(visual_map, audio_vectors, self._weights(space_attention, attention.time_attention))
            return Explanation(logits, torch.sigmoid(logits), space_attention, attention.time_attention)

        cav, time_attention = self._time_attention(audio, visual)  # N×T×K, N×T
        cam = space_attention = None
        if self.uses_visual:
            seen, heard = self._class_activation_halves(visual_map, audio_vectors)
            cam = seen if heard is None else seen + heard[:, :, None, None, :]  # N×T×H×W×K
            space_attention = self._space_attention(cam, seen, heard)
        logits = self._classify(visual_map, audio_vectors, self._weights(space_attention, time_attention))
        aux = {"cav": self._aux_pool(cav, time_attention)}
        if cam is not None:
            aux = {"cam": self._aux_pool(cam, space_attention * time_attention[:, :, None, None]), **aux}
        return Explanation(
            logits=logits,
            probs=torch.sigmoid(logits),
            space_attention=space_attention,
            time_attention=time_attention,
            cam=cam,
            cav=cav,
            aux_logits=aux,
        )

    def _aux_pool(self, activations: Tensor, attention: Tensor) -> Tensor:
        """The clip's logits of the CAM (N×T×H×W×K) or CAV (N×T×K) head for L_CAM / L_CAV (Eq. 8): their mean (the
        paper's global average pooling) or, with ``aux_pooling="attention"``, their average weighted by the
        attention over the same axes (A^s·A^t, A^t), so that only where and when the model looks need show the
        clip's classes."""
        axes = tuple(range(1, activations.dim() - 1))
        if self.aux_pooling == "mean":
            return activations.mean(dim=axes)
        return (activations * attention[..., None]).sum(dim=axes) / attention.sum(dim=axes)[..., None]

    def perturbed_logits(
        self,
        audio: Tensor,
        visual: Tensor,
        attention: Explanation,
        audio_noise: Tensor | None,
        visual_noise: Tensor | None,
        sigmas: Tensor,
    ) -> Tensor:
        """Equal to the base version, cheaper. Up to the first ReLU, x^st is linear in the inputs, so
        W·(x + σ·η) = W·x + σ·(W·η): one product with the noise serves every σ. And locations the noise never
        touches keep their clean value, so their share of the pooled feature is computed once.

        ``MaskedNoise`` (``sampling="fast"``): the visual half through ``MaskedNoise.pooled_relu``, which draws the
        noise after the 1×1 conv directly; the audio half as drawn by ``dense``. After the ReLUs all is linear, so
        the audio MLP's second layer is applied to the pooled hidden units, not to every segment."""
        self.check_inputs(audio, visual)
        weights = self._weights(attention.space_attention if self.uses_visual else None, attention.time_attention)
        sampled = [noise for noise in (audio_noise, visual_noise) if not isinstance(noise, (Tensor, type(None)))]
        if sampled:
            count = sampled[0].count
            visual_sums = audio_sums = None
            if self.uses_audio:  # audio first: the noise is drawn in the generic path's order
                segment_weights = weights.flatten(2).sum(-1) if weights.dim() > 2 else weights  # N×T
                pre = self._audio_pre(audio)
                if audio_noise is None:
                    hidden = _weighted_sum(F.relu(pre), segment_weights).repeat(count, 1).expand(len(sigmas), -1, -1)
                else:
                    shift = self._audio_pre(audio_noise.dense(), bias=False)
                    hidden = audio_noise.pooled_relu(pre, segment_weights, sigmas, shift=shift)
                second = self.audio_space[2]
                bias = second.bias * segment_weights.sum(dim=1).repeat(count)[:, None]  # Σ_t w_t·b per clip
                audio_sums = F.linear(hidden, second.weight) + bias
            if self.uses_visual:
                pre = self._visual_pre(visual)
                if visual_noise is None:
                    visual_sums = _weighted_sum(F.relu(pre), weights).repeat(count, 1).expand(len(sigmas), -1, -1)
                else:
                    conv = self.visual_space[0].weight.flatten(1)
                    visual_sums = visual_noise.pooled_relu(pre, weights, sigmas, weight=conv)
            return self.classifier(torch.cat([x for x in (visual_sums, audio_sums) if x is not None], dim=-1))
        audio_pre = self._audio_pre(audio) if self.uses_audio else None
        audio_shift = None if audio_noise is None or audio_pre is None else self._audio_pre(audio_noise, bias=False)
        visual_sums = self._perturbed_visual_sums(visual, visual_noise, weights, sigmas) if self.uses_visual else None
        logits = []
        for level, sigma in enumerate(sigmas):
            audio_vectors = None
            if audio_pre is not None:
                shifted = audio_pre if audio_shift is None else torch.add(audio_pre, audio_shift, alpha=float(sigma))
                audio_vectors = self._audio_post(shifted)
            visual_sum = None if visual_sums is None else visual_sums[level]
            logits.append(self.classifier(self._pool(visual_sum, audio_vectors, weights)))
        return torch.stack(logits)

    def _perturbed_visual_sums(
        self, visual: Tensor, visual_noise: Tensor | None, weights: Tensor, sigmas: Tensor
    ) -> list[Tensor]:
        """Σ_p A_p·ReLU(W·(v_p + σ·η_p) + b) per σ (each N×D), computing only the locations some noise touches."""
        pre = self._visual_pre(visual).flatten(1, -2)  # N×P×D
        flat_weights = weights.flatten(1)  # N×P
        if visual_noise is None:
            return [_weighted_sum(F.relu(pre), flat_weights)] * len(sigmas)
        noise = visual_noise.flatten(1, -2)  # N×P×Dv
        touched = noise.ne(0).any(dim=-1).any(dim=0)  # P: exact for every clip, untouched ones just add 0·W·η
        untouched_sum = _weighted_sum(F.relu(pre[:, ~touched]), flat_weights[:, ~touched])
        pre, flat_weights = pre[:, touched], flat_weights[:, touched]
        shift = F.linear(noise[:, touched], self.visual_space[0].weight.flatten(1))
        sums = []
        for sigma in sigmas:
            shifted = torch.add(pre, shift, alpha=float(sigma)).relu_()
            sums.append(untouched_sum + _weighted_sum(shifted, flat_weights))
        return sums


def _weighted_sum(features: Tensor | None, weights: Tensor) -> Tensor | None:
    """Σ over every axis between the batch and the channels of ``weights ⊙ features``: N×…×D, N×… → N×D."""
    if features is None:
        return None
    flat = features.reshape(features.shape[0], -1, features.shape[-1])
    return torch.bmm(weights.reshape(weights.shape[0], 1, -1), flat).squeeze(1)


@register_model(
    "stan",
    label="STAN (audio-visual)",
    family="stan",
    explains=("space_attention", "time_attention", "cam", "cav"),
    tables={"ablations": 5, "comparison": 9},
    # STAN as the paper pools (Eq. 6), beside whatever pooling a recipe picks.
    presets={"mean_pooling": Preset("STAN (mean pooling)", {"pooling": "mean"})},
)
class STAN(_STANBase):
    """The full model: audio-visual space-time attention, trained with L_BCE + L_CAM + L_CAV (Eq. 8)."""


@register_model(
    "stan_visual",
    label="STAN (visual only)",
    family="stan",
    explains=("space_attention", "time_attention", "cam", "cav"),
    tables={"ablations": 4},
)
class STANVisual(_STANBase):
    """Ablation: visual features only, still with space and time attention."""

    uses_audio = False


@register_model(
    "stan_audio", label="STAN (audio only)", family="stan", explains=("time_attention", "cav"), tables={"ablations": 2}
)
class STANAudio(_STANBase):
    """Ablation: audio features only, time attention only."""

    uses_visual = False

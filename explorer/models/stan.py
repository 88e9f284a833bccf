"""STAN (paper §3) and its two single-modality ablations (§4.2).

One module covers all three: ``stan`` composes audio and visual, ``stan_visual``
drops the audio, ``stan_audio`` drops the visual (and with it space attention).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from explorer.models.base import AVModel, Explanation, from_maps, mlp, to_maps, with_global_audio
from explorer.models.registry import register_model


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
        self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, space_gate_layers: int = 2, **config
    ):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, space_gate_layers=space_gate_layers, **config)
        k, d = num_classes, hidden
        space_channels = 0
        if self.uses_audio:
            self.audio_space = mlp(2 * audio_dim, d, d)  # F^st_MLP([a_t, ā]), tiled over H×W (Eq. 1)
            self.audio_time = mlp(2 * audio_dim, d, d)  # F^t_MLP([a_t, ā]) (Eq. 3)
            space_channels += d
        if self.uses_visual:
            self.visual_space = nn.Sequential(nn.Conv2d(visual_dim, d, 1), nn.ReLU(inplace=True))  # F^st_conv (Eq. 1)
            self.visual_time = mlp(visual_dim, d, d)  # F^t_MLP(v̄_t) (Eq. 3)
            space_channels += d
            self.cam_head = nn.Conv2d(space_channels, k, 1)  # F_CAM: K maps per segment (Eq. 2)
            self.space_gate = _space_gate(k, d, space_gate_layers)
        self.cav_head = nn.Linear(d, k)  # F_CAV: K values per segment (Eq. 4)
        self.time_gate = nn.Sequential(nn.Linear(k, d), nn.ReLU(inplace=True), nn.Linear(d, 1))  # MLP + sigmoid → A^t
        self.classifier = nn.Linear(space_channels if self.uses_visual else d, k)

    def space_time_feature(self, audio: Tensor, visual: Tensor) -> Tensor:
        """x^st (N×T×H×W×D'): the composed feature that attention reweights (Eq. 1)."""
        parts = []
        if self.uses_visual:
            n, t = visual.shape[:2]
            parts.append(from_maps(self.visual_space(to_maps(visual)), n, t))
        if self.uses_audio:
            audio_feature = self.audio_space(with_global_audio(audio))
            if self.uses_visual:
                h, w = visual.shape[2:4]
                audio_feature = audio_feature[:, :, None, None, :].expand(-1, -1, h, w, -1)
            parts.append(audio_feature)
        return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]

    def time_feature(self, audio: Tensor, visual: Tensor) -> Tensor:
        """x^t (N×T×D): audio and spatially pooled visual, composed by addition (Eq. 3)."""
        feature = 0
        if self.uses_audio:
            feature = feature + self.audio_time(with_global_audio(audio))
        if self.uses_visual:
            feature = feature + self.visual_time(visual.mean(dim=(2, 3)))
        return feature

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        x_st = self.space_time_feature(audio, visual)
        n, t = audio.shape[:2]

        cav = self.cav_head(self.time_feature(audio, visual))  # N×T×K
        time_attention = torch.sigmoid(self.time_gate(cav)).squeeze(-1)  # N×T
        aux = {"cav": cav.mean(dim=1)}

        cam = space_attention = None
        if self.uses_visual:
            cam_maps = self.cam_head(to_maps(x_st))  # (N·T)×K×H×W
            space_attention = torch.sigmoid(self.space_gate(cam_maps)).squeeze(1).reshape(n, t, *cam_maps.shape[2:])
            cam = from_maps(cam_maps, n, t)  # N×T×H×W×K
            aux = {"cam": cam.mean(dim=(1, 2, 3)), **aux}

        if attention is not None:  # perturbation test: the clean clip's attention stays fixed
            time_attention = attention.time_attention
            space_attention = attention.space_attention if self.uses_visual else None

        if self.uses_visual:
            weights = space_attention * time_attention[:, :, None, None]  # A^st = A^s ⊗ A^t (Eq. 5)
            pooled = (x_st * weights.unsqueeze(-1)).mean(dim=(1, 2, 3))  # Eq. 6, then space-time pooling
        else:
            pooled = (x_st * time_attention.unsqueeze(-1)).mean(dim=1)
        logits = self.classifier(pooled)
        return Explanation(
            logits=logits,
            probs=torch.sigmoid(logits),
            space_attention=space_attention,
            time_attention=time_attention,
            cam=cam,
            cav=cav,
            aux_logits=aux,
        )


@register_model("stan")
class STAN(_STANBase):
    """The full model: audio-visual space-time attention, trained with L_BCE + L_CAM + L_CAV (Eq. 8)."""


@register_model("stan_visual")
class STANVisual(_STANBase):
    """Ablation: visual features only, still with space and time attention."""

    uses_audio = False


@register_model("stan_audio")
class STANAudio(_STANBase):
    """Ablation: audio features only, time attention only."""

    uses_visual = False

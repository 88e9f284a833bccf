"""Demo audio-visual corpus: real photos and sounds composed into 10 s clips with where/when ground truth."""

from explorer.demo.corpus import GroundTruth, build_corpus, generate_features, iter_scenes, load_object_masks
from explorer.demo.render import RenderedScene, render_scene
from explorer.demo.scene import SceneObject, SceneSpec, sample_scene
from explorer.demo.sources import CLASS_NAMES, DEMO_CLASSES, SourceLibrary

__all__ = [
    "CLASS_NAMES",
    "DEMO_CLASSES",
    "GroundTruth",
    "RenderedScene",
    "SceneObject",
    "SceneSpec",
    "SourceLibrary",
    "build_corpus",
    "generate_features",
    "iter_scenes",
    "load_object_masks",
    "render_scene",
    "sample_scene",
]

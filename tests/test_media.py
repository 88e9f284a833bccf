"""explorer.media on generated clips (media_factory) and a few real recordings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from media_factory import has_encoder, make_audio, make_video, segment_level

from explorer.media import (
    NO_AUDIO_WARNING,
    Clip,
    MediaError,
    load_audio,
    load_clip,
    probe,
    write_clip,
)

DATA = Path(__file__).parent / "data"
SHARED_SOUNDS = Path(__file__).resolve().parents[2] / "shared" / "media" / "sounds"
TONE = (1000.0, 3.0, 5.0)  # a 1 kHz tone from 3 s to 5 s lands in segments 3 and 4
LEVEL_TOLERANCE = 12  # lossy codecs move a flat gray level by a few steps


def segment_rms(clip: Clip) -> list[float]:
    return [float(np.sqrt(np.mean(clip.segment_audio(t) ** 2))) for t in range(clip.num_segments)]


def segment_levels(clip: Clip) -> list[float]:
    """Median gray of each segment's frames, away from the red marker in the top-left corner."""
    return [float(np.median(stack[:, stack.shape[1] // 2 :, stack.shape[2] // 2 :])) for stack in clip.frames]


def assert_frames_show_their_second(clip: Clip) -> None:
    expected = [segment_level(t) for t in range(clip.num_segments)]
    assert np.allclose(segment_levels(clip), expected, atol=LEVEL_TOLERANCE), (segment_levels(clip), expected)


def assert_tone_in(clip: Clip, loud_segments: set[int]) -> None:
    """The tone (amplitude 0.5, RMS 0.354) is heard in exactly ``loud_segments``."""
    rms = segment_rms(clip)
    for t, value in enumerate(rms):
        if t in loud_segments:
            assert 0.25 < value < 0.45, rms
        else:
            assert value < 0.05, rms
    assert np.abs(clip.audio).max() <= 1.0


def require_encoders(*codecs: str) -> None:
    missing = [codec for codec in codecs if not has_encoder(codec)]
    if missing:
        pytest.skip(f"this PyAV build has no {', '.join(missing)} encoder to make the test file")


# -- containers and codecs ----------------------------------------------------------------------

COMBINATIONS = [
    ("mp4", "libx264", "aac", 48000),
    ("webm", "libvpx-vp9", "libopus", 48000),
    ("mkv", "mpeg4", "libmp3lame", 44100),
    ("avi", "mjpeg", "pcm_s16le", 22050),
    ("ogv", "libtheora", "vorbis", 44100),
    ("ogv", "libvpx", "vorbis", 44100),  # Ogg with VP8, decodable even where Theora cannot be encoded
    ("mov", "libx264", "pcm_u8", 16000),
    ("flv", "flv", "libmp3lame", 22050),
    ("mkv", "libx264", "mp2", 32000),
]


@pytest.mark.parametrize(("suffix", "video_codec", "audio_codec", "rate"), COMBINATIONS)
def test_container_and_codec_combinations(tmp_path, suffix, video_codec, audio_codec, rate):
    require_encoders(video_codec, audio_codec)
    channels = 2 if audio_codec == "vorbis" else 1  # FFmpeg's own Vorbis encoder is stereo-only
    path = make_video(
        tmp_path / f"clip.{suffix}",
        6,
        codec=video_codec,
        audio_codec=audio_codec,
        audio_rate=rate,
        channels=channels,
        tone=TONE,
    )
    clip = load_clip(path)
    assert (clip.num_segments, clip.duration, clip.truncated) == (6, 6.0, False)
    assert clip.has_audio and clip.has_video and clip.warnings == []
    assert clip.fps == pytest.approx(10, rel=0.01)
    assert clip.audio.dtype == np.float32 and clip.audio.shape == (6 * 16000,) and clip.sample_rate == 16000
    assert all(stack.shape == (4, 48, 64, 3) and stack.dtype == np.uint8 for stack in clip.frames)
    assert_frames_show_their_second(clip)
    assert_tone_in(clip, {3, 4})


@pytest.mark.parametrize(
    ("suffix", "audio_codec", "rate", "channels"),
    [
        ("mp4", "aac", 44100, 2),
        ("mkv", "aac", 48000, 6),  # 5.1
        ("mkv", "pcm_s16le", 8000, 1),
        ("mkv", "pcm_s16le", 96000, 2),
        ("mov", "pcm_u8", 22050, 2),  # 8-bit
    ],
)
def test_channel_layouts_sample_rates_and_8_bit_audio(tmp_path, suffix, audio_codec, rate, channels):
    path = make_video(
        tmp_path / f"clip.{suffix}", 6, audio_codec=audio_codec, audio_rate=rate, channels=channels, tone=TONE
    )
    clip = load_clip(path)
    assert clip.has_audio and clip.audio.shape == (6 * 16000,)
    assert_tone_in(clip, {3, 4})  # channels are averaged, so identical channels keep the mono level


def test_frames_per_segment_and_max_side(tmp_path):
    path = make_video(tmp_path / "clip.mp4", 2, size=(96, 64))
    assert [s.shape for s in load_clip(path, frames_per_segment=1).frames] == [(1, 64, 96, 3)] * 2
    assert [s.shape for s in load_clip(path, frames_per_segment=8, max_side=48).frames] == [(8, 32, 48, 3)] * 2


def test_variable_frame_rate_is_sampled_by_time(tmp_path):
    # 30 fps in second 0, 5 fps in second 1, 3 frames in second 2: picking frames by index would mix seconds.
    times = [i / 30 for i in range(30)] + [1 + i / 5 for i in range(5)] + [2.0, 2.5, 2.95]
    clip = load_clip(make_video(tmp_path / "vfr.mkv", 3, frame_times=times))
    assert clip.num_segments == 3
    assert_frames_show_their_second(clip)


# -- stream and length policies -----------------------------------------------------------------


def test_no_audio_track_is_silent_flagged_and_warned(tmp_path):
    clip = load_clip(make_video(tmp_path / "mute.webm", 2, codec="libvpx-vp9"))
    assert clip.has_audio is False and clip.num_segments == 2
    assert clip.audio.shape == (2 * 16000,) and not clip.audio.any()
    assert clip.warnings == [NO_AUDIO_WARNING] and "no audio track" in NO_AUDIO_WARNING


def test_audio_only_file_is_rejected_by_load_clip(tmp_path):
    with pytest.raises(MediaError, match="has no video stream; STAN needs frames"):
        load_clip(make_audio(tmp_path / "sound.wav", 2))


def test_shorter_than_one_second_is_an_error(tmp_path):
    with pytest.raises(MediaError, match=r"lasts only 0\.50 s; STAN needs at least 1 s"):
        load_clip(make_video(tmp_path / "short.mp4", 0.5, audio_codec="aac"))


def test_longer_than_max_seconds_is_truncated_and_warned(tmp_path):
    clip = load_clip(make_video(tmp_path / "long.mp4", 6, audio_codec="aac", tone=TONE), max_seconds=4)
    assert (clip.num_segments, clip.duration, clip.truncated) == (4, 4.0, True)
    assert clip.source_duration == pytest.approx(6.0, abs=0.1)
    assert clip.audio.shape == (4 * 16000,)
    assert any("only the first 4 s were analysed" in warning for warning in clip.warnings)
    assert_frames_show_their_second(clip)
    assert_tone_in(clip, {3})


@pytest.mark.parametrize(
    ("rotation", "marker_corner"), [(-90, "top_right"), (90, "bottom_left"), (180, "bottom_right")]
)
def test_display_rotation_makes_frames_upright(tmp_path, rotation, marker_corner):
    # A 64×32 landscape frame with a red square top-left; -90 is what a phone held upright records.
    clip = load_clip(make_video(tmp_path / "phone.mp4", 1, size=(64, 32), rotation=rotation))
    frame = clip.middle_frame(0).astype(int)
    assert frame.shape == ((64, 32, 3) if rotation != 180 else (32, 64, 3))
    height, width = frame.shape[:2]
    corners = {
        "top_left": frame[:4, :4],
        "top_right": frame[:4, width - 4 :],
        "bottom_left": frame[height - 4 :, :4],
        "bottom_right": frame[height - 4 :, width - 4 :],
    }
    redness = {name: float((patch[..., 0] - patch[..., 1]).mean()) for name, patch in corners.items()}
    assert max(redness, key=redness.get) == marker_corner and redness[marker_corner] > 150, redness


@pytest.mark.parametrize(
    ("size", "codec", "pix_fmt", "max_side", "expected_hw"),
    [
        ((161, 121), "mjpeg", "yuvj444p", 320, (121, 161)),  # odd sizes are kept as they are
        ((161, 121), "libx264", "yuv444p", 100, (75, 100)),
        ((1920, 1080), "libx264", None, 320, (180, 320)),
        ((3840, 2160), "libx264", None, 320, (180, 320)),
    ],
)
def test_frame_sizes_are_downscaled_keeping_aspect(tmp_path, size, codec, pix_fmt, max_side, expected_hw):
    fps = 2 if size[0] > 1000 else 10  # few large frames keep the test fast; frames then repeat
    clip = load_clip(
        make_video(tmp_path / "clip.mkv", 2, fps=fps, size=size, codec=codec, pix_fmt=pix_fmt), max_side=max_side
    )
    assert [stack.shape for stack in clip.frames] == [(4, *expected_hw, 3)] * 2
    assert_frames_show_their_second(clip)


# -- broken and wrong input ---------------------------------------------------------------------


def test_file_cut_short_is_decoded_up_to_the_cut_with_a_warning(tmp_path):
    full = make_video(tmp_path / "full.mkv", 6, audio_codec="aac", tone=TONE).read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full[: int(len(full) * 0.6)])
    clip = load_clip(cut)
    assert 1 <= clip.num_segments < 6 and not clip.truncated
    assert any("ended early" in warning for warning in clip.warnings)
    assert_frames_show_their_second(clip)


@pytest.mark.parametrize("kept_fraction", [0.02, 0.5])
def test_file_cut_before_any_usable_second_is_an_error(tmp_path, kept_fraction):
    # An mp4 keeps its index at the end, so half of one is as useless as the first 2% of any file.
    full = make_video(tmp_path / "full.mp4", 6, audio_codec="aac").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full[: int(len(full) * kept_fraction)])
    with pytest.raises(MediaError, match="corrupt|truncated"):
        load_clip(cut)


def test_damaged_middle_never_hangs_or_leaks_ffmpeg_errors(tmp_path):
    data = bytearray(make_video(tmp_path / "full.mkv", 6, audio_codec="aac").read_bytes())
    middle = len(data) // 3
    data[middle : middle + 3000] = np.random.default_rng(0).bytes(3000)
    damaged = tmp_path / "damaged.mkv"
    damaged.write_bytes(bytes(data))
    started = time.monotonic()
    try:
        clip = load_clip(damaged)
    except MediaError:
        pass
    else:
        assert clip.num_segments >= 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("make_bad_input", "message"),
    [
        (lambda tmp: tmp / "missing.mp4", "does not exist"),
        (lambda tmp: tmp, "is a folder, not a media file"),
        (lambda tmp: _write(tmp / "empty.mp4", b""), r"is empty \(0 bytes\)"),
        (
            lambda tmp: _write(tmp / "notes.mp4", b"this is a text file, not a video\n" * 20),
            "could not be opened as audio or video",
        ),
        (
            lambda tmp: _write(tmp / "noise.mp4", np.random.default_rng(1).bytes(20000)),
            "could not be opened as audio or video",
        ),
        (lambda tmp: 42, "Expected a path to a media file, got a int"),
    ],
)
def test_bad_input_gives_one_clear_sentence(tmp_path, make_bad_input, message):
    bad = make_bad_input(tmp_path)
    for read in (load_clip, load_audio, probe):
        with pytest.raises(MediaError, match=message):
            read(bad)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "options", [{"max_seconds": 0}, {"max_seconds": "10"}, {"frames_per_segment": 0}, {"max_side": 2.5}]
)
def test_bad_options_are_rejected(tmp_path, options):
    with pytest.raises(MediaError, match="must be"):
        load_clip(tmp_path / "any.mp4", **options)


# -- load_audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codec", "rate", "channels"),
    [
        ("tone.wav", "pcm_s16le", 44100, 2),
        ("tone8.wav", "pcm_u8", 8000, 1),
        ("tone.mp3", "libmp3lame", 22050, 1),
        ("tone.ogg", "vorbis", 48000, 2),
        ("tone.oga", "libopus", 48000, 1),
        ("tone.aiff", "pcm_s16be", 96000, 1),
    ],
)
def test_load_audio_formats(tmp_path, name, codec, rate, channels):
    require_encoders(codec)
    audio = load_audio(make_audio(tmp_path / name, 2, codec=codec, rate=rate, channels=channels, tone=(440, 0, 2)))
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Lossy codecs add up to ~0.1 s of encoder delay/padding.
    assert abs(audio.size - 2 * 16000) < 0.1 * 16000
    assert 0.3 < np.sqrt(np.mean(audio[4000:28000] ** 2)) < 0.4


def test_load_audio_other_rate_and_video_files(tmp_path):
    audio = load_audio(make_video(tmp_path / "clip.mp4", 2, audio_codec="aac", audio_rate=48000), sample_rate=8000)
    assert abs(audio.size - 2 * 8000) < 400
    with pytest.raises(MediaError, match="has no audio stream"):
        load_audio(make_video(tmp_path / "mute.mp4", 1))
    with pytest.raises(MediaError, match="sample_rate must be"):
        load_audio(tmp_path / "clip.mp4", sample_rate=0)


@pytest.mark.parametrize("name", ["scratch_Bird.wav", "scratch_Cat.mp3"])
def test_load_audio_real_recordings(name):
    path = DATA / name
    audio = load_audio(path)
    info = soundfile.info(path) if path.suffix == ".wav" else None
    expected_seconds = info.duration if info else 0.51  # ffprobe length of the mp3, see tests/data/ATTRIBUTION.md
    assert abs(audio.size / 16000 - expected_seconds) < 0.06
    assert np.sqrt(np.mean(audio**2)) > 0.01  # a real sound, not silence


def test_load_audio_matches_soundfile_on_a_16_khz_recording():
    path = SHARED_SOUNDS / "speech_librivox_female.wav"
    if not path.exists():
        pytest.skip(f"{path} is not present in this checkout")
    reference, rate = soundfile.read(path, dtype="float32")
    assert rate == 16000
    np.testing.assert_allclose(load_audio(path), reference, atol=1e-4)


# -- probe, write_clip and Clip -----------------------------------------------------------------


def test_probe_reports_streams_and_duration(tmp_path):
    path = make_video(tmp_path / "clip.mp4", 3, size=(80, 60), audio_codec="aac", audio_rate=44100, channels=2)
    info = probe(path)
    assert info["size_bytes"] == path.stat().st_size and info["has_video"] and info["has_audio"]
    assert info["duration"] == pytest.approx(3.0, abs=0.1)
    video, audio = info["streams"]
    assert (video["type"], video["codec"], video["width"], video["height"]) == ("video", "h264", 80, 60)
    assert video["fps"] == pytest.approx(10)
    assert (audio["type"], audio["codec"], audio["sample_rate"], audio["channels"]) == ("audio", "aac", 44100, 2)


def test_write_clip_round_trip_keeps_frames_and_audio_aligned(tmp_path):
    # Odd frame size: write_clip pads to even for yuv420p by repeating the last row and column.
    frames = [np.full((4, 33, 45, 3), segment_level(t), np.uint8) for t in range(3)]
    times = np.arange(3 * 16000) / 16000
    audio = (0.5 * np.sin(2 * np.pi * 1000 * times) * ((times >= 1) & (times < 2))).astype(np.float32)
    written = write_clip(tmp_path / "out.mp4", Clip.from_arrays(frames, audio), fps=8)
    clip = load_clip(written)
    assert clip.num_segments == 3 and clip.has_audio and clip.fps == pytest.approx(8)
    assert [stack.shape for stack in clip.frames] == [(4, 34, 46, 3)] * 3
    assert_frames_show_their_second(clip)
    assert_tone_in(clip, {1})


def test_write_clip_without_audio_writes_no_audio_track(tmp_path):
    silent = Clip.from_arrays([np.zeros((2, 16, 16, 3), np.uint8)] * 2, None)
    assert silent.warnings == [NO_AUDIO_WARNING]
    info = probe(write_clip(tmp_path / "mute.mp4", silent))
    assert info["has_video"] and not info["has_audio"]
    with pytest.raises(MediaError, match="does not exist"):
        write_clip(tmp_path / "no" / "such" / "folder.mp4", silent)
    with pytest.raises(MediaError, match="fps must be"):
        write_clip(tmp_path / "x.mp4", silent, fps=0)


def test_clip_helpers():
    frames = np.stack([np.full((3, 4, 5, 3), t, np.uint8) for t in range(2)])
    audio = np.arange(20000, dtype=np.float32)
    clip = Clip.from_arrays(frames, audio)
    assert clip.segment_bounds == [(0.0, 1.0), (1.0, 2.0)]
    assert clip.audio.shape == (32000,) and not clip.audio[20000:].any()
    np.testing.assert_array_equal(clip.segment_audio(1)[:4000], audio[16000:])
    assert clip.middle_frame(1).shape == (4, 5, 3) and (clip.middle_frame(1) == 1).all()
    with pytest.raises(MediaError, match="Segment 2 does not exist"):
        clip.segment_audio(2)


@pytest.mark.parametrize(
    ("frames", "audio", "message"),
    [
        ([np.zeros((2, 4, 4, 3), np.float32)], None, "uint8 RGB"),
        ([np.zeros((2, 4, 4), np.uint8)], None, "uint8 RGB"),
        ([np.zeros((2, 4, 4, 3), np.uint8), np.zeros((2, 4, 5, 3), np.uint8)], None, "same number of frames"),
        ([], None, "at least one"),
        ([np.zeros((2, 4, 4, 3), np.uint8)], np.zeros(16001, np.float32), "at most 16000 samples"),
        ([np.zeros((2, 4, 4, 3), np.uint8)], np.zeros((16000, 2), np.float32), "must be mono"),
    ],
)
def test_clip_from_arrays_rejects_bad_arrays(frames, audio, message):
    with pytest.raises(MediaError, match=message):
        Clip.from_arrays(frames, audio)


@pytest.mark.parametrize("name", ["phone-incoming-call.oga", "pyo_flute.aif", "pomodoro_birds_10s_excerpt.ogg"])
def test_load_audio_shared_recordings_match_soundfile_length(name):
    path = SHARED_SOUNDS / name
    if not path.exists():
        pytest.skip(f"{path} is not present in this checkout")
    assert abs(load_audio(path).size / 16000 - soundfile.info(path).duration) < 0.01

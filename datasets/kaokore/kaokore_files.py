"""KaoKore v1.3 on disk: the labels and URL list that ship here, and the images.

KaoKore (Tian et al., 2020) holds 9,257 face crops from Japanese picture
scrolls, 256x256 RGB, labelled with gender (male, female) and social status
(noble, warrior, incarnation, commoner); `labels.csv` assigns 7,405 to train,
926 to dev and 926 to test. Image `NNNNNNNN.jpg` is downloaded from line
`NNNNNNNN` (counting from 0) of `urls.txt`. Data by ROIS-DS Center for Open
Data in the Humanities (CODH), CC BY-SA 4.0.

The images are never bundled: the maintainers ask that no derived dataset
containing them be published. They are downloaded from `urls.txt`, or read
from a directory in the layout the official download script writes:

    <data_dir>/images_256/00000000.jpg ...
    <data_dir>/labels.csv              (optional: the copy here is used otherwise)
"""

import csv
import io
import pathlib
import warnings

from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.downloads import download_files
from keras_vq.datasets.example_order import canonical_order
from keras_vq.datasets.file_fingerprint import files_fingerprint
from keras_vq.datasets.image_files import files_with_suffix, read_image, read_image_shape

PACKAGE_DIR = pathlib.Path(__file__).parent
LABELS_PATH = PACKAGE_DIR / "labels.csv"
URLS_PATH = PACKAGE_DIR / "urls.txt"
IMAGES_DIR_NAME = "images_256"
IMAGE_SHAPE = (256, 256, 3)
GENDER_NAMES = ("male", "female")
STATUS_NAMES = ("noble", "warrior", "incarnation", "commoner")
SPLIT_NAMES = ("train", "dev", "test")
HOMEPAGE = "https://github.com/rois-codh/kaokore"
DOWNLOAD_INSTRUCTIONS = (
    "KaoKore images are downloaded from the URLs in keras_vq/datasets/kaokore/urls.txt: "
    "pass download=True to keras_vq.data.load, or run the official script "
    f"({HOMEPAGE}, `python download.py`) and point data_dir at the folder holding "
    f"{IMAGES_DIR_NAME}/ (256x256 JPEGs named 00000000.jpg ...) and labels.csv."
)


def read_labels(path=LABELS_PATH):
    """Rows of `labels.csv` as dicts: image (file name), gender, status (ints), set."""
    path = pathlib.Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadFileError(path, f"is not UTF-8 text ({error}); expected KaoKore's labels.csv") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    expected_columns = ["image", "gender", "status", "set"]
    try:
        columns = reader.fieldnames
    except csv.Error as error:
        raise BadFileError(path, f"is not a CSV file ({error})") from error
    if columns != expected_columns:
        raise BadFileError(path, f"has columns {columns}, expected {expected_columns}")
    rows = []
    try:
        for line_number, row in enumerate(reader, start=2):
            try:
                rows.append(
                    {
                        "image": row["image"],
                        "gender": int(row["gender"]),
                        "status": int(row["status"]),
                        "set": row["set"],
                    }
                )
            except (ValueError, TypeError) as error:  # TypeError: a short row leaves fields None.
                raise BadFileError(path, f"line {line_number}: {error}") from error
    except csv.Error as error:
        raise BadFileError(path, f"is not a CSV file ({error})") from error
    return rows


def read_urls(path=URLS_PATH):
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip()]


def find_kaokore_dir(data_dir):
    """The folder holding `images_256/`: `data_dir` itself or `data_dir/kaokore`."""
    data_dir = pathlib.Path(data_dir).expanduser()
    for candidate in (data_dir, data_dir / "kaokore"):
        images = candidate / IMAGES_DIR_NAME
        if images.is_dir() and files_with_suffix(images, "*", ".jpg"):
            return candidate
    raise DataNotFoundError(
        f"no KaoKore images in {data_dir}: expected {data_dir / IMAGES_DIR_NAME}/*.jpg "
        f"(or {data_dir / 'kaokore' / IMAGES_DIR_NAME}/*.jpg). {DOWNLOAD_INSTRUCTIONS}"
    )


def download_images(
    target_dir,
    *,
    urls_path=URLS_PATH,
    labels_path=LABELS_PATH,
    max_workers=8,
    retries=4,
    backoff_seconds=1.0,
    skip_bad_files=False,
    progress=True,
):
    """Downloads the labelled images into `target_dir/images_256/`; returns `target_dir`.

    At most `max_workers` downloads run at once; each is retried `retries`
    times with exponential back-off and checked to be a decodable 256x256 RGB
    image. Images already present are kept, so an interrupted run resumes.
    Images that fail for good raise `BadFileError` listing them after every
    other image has been fetched, or, with `skip_bad_files=True`, are counted
    in a warning. `labels.csv` is copied beside the images if absent.
    """
    target_dir = pathlib.Path(target_dir).expanduser()
    images_dir = target_dir / IMAGES_DIR_NAME
    images_dir.mkdir(parents=True, exist_ok=True)
    urls = read_urls(urls_path)
    rows = read_labels(labels_path)
    jobs = []
    for row in rows:
        index = int(pathlib.Path(row["image"]).stem)
        if index >= len(urls):
            raise BadFileError(urls_path, f"has no line {index} for image {row['image']}")
        jobs.append((urls[index], images_dir / row["image"]))
    failures = download_files(
        jobs,
        max_workers=max_workers,
        check=lambda path: read_image(path, IMAGE_SHAPE),
        retries=retries,
        backoff_seconds=backoff_seconds,
        progress=progress,
        description="KaoKore images",
    )
    if failures:
        listed = "; ".join(f"{path.name}: {error}" for path, error in list(failures.items())[:5])
        problem = (
            f"{len(failures)} of {len(jobs)} images could not be downloaded (run again to retry only those): {listed}"
        )
        if not skip_bad_files:
            raise BadFileError(images_dir, problem)
        warnings.warn(f"skip_bad_files=True, so going on without them: {problem}", stacklevel=2)
    labels_copy = target_dir / "labels.csv"
    if not labels_copy.exists():
        labels_copy.write_bytes(pathlib.Path(labels_path).read_bytes())
    return target_dir


class KaokoreFiles:
    """The examples of a KaoKore directory, split by the `set` column.

    Labels come from `<root>/labels.csv` when present, else from the copy
    that ships with keras_vq.
    """

    def __init__(self, data_dir):
        self.root = find_kaokore_dir(data_dir)
        local_labels = self.root / "labels.csv"
        self.labels_path = local_labels if local_labels.exists() else LABELS_PATH
        self.rows = {row["image"]: row for row in read_labels(self.labels_path)}

    @property
    def split_names(self):
        present = {row["set"] for row in self.rows.values()}
        return [name for name in SPLIT_NAMES if name in present]

    def keys(self, split):
        if split not in self.split_names:
            raise ValueError(f"KaoKore has splits {self.split_names}, not {split!r}")
        return canonical_order(name for name, row in self.rows.items() if row["set"] == split)

    def image_path(self, key):
        return self.root / IMAGES_DIR_NAME / key

    def read(self, key):
        """One example: `image` (uint8 256x256x3), `image_bytes`, `gender`, `status`."""
        path = self.image_path(key)
        if not path.exists():
            raise BadFileError(path, f"is missing (labelled in {self.labels_path}). {DOWNLOAD_INSTRUCTIONS}")
        pixels, encoded = read_image(path, IMAGE_SHAPE)
        row = self.rows[key]
        return {"image": pixels, "image_bytes": encoded, "gender": row["gender"], "status": row["status"]}

    def fingerprint(self):
        """Changes whenever the labels or an image is added, removed or rewritten (`files_fingerprint`)."""
        images = files_with_suffix(self.root / IMAGES_DIR_NAME, "*", ".jpg")
        return files_fingerprint(self.root, [self.labels_path, *images])

    def describe(self):
        """Per split: examples labelled, images present, distinct image shapes (headers only)."""
        summary = {}
        for split in self.split_names:
            keys = self.keys(split)
            present = [key for key in keys if self.image_path(key).exists()]
            shapes = sorted({read_image_shape(self.image_path(key)) for key in present})
            summary[split] = {"examples": len(keys), "images_present": len(present), "shapes": shapes}
        return summary

//! Save → load → identical outputs; corrupted and mismatched files give errors.

use std::path::PathBuf;

use prdp_nn::{
    Activation, Architecture, Checkpoint, LrSchedule, MlpConfig, Model, NnError, Optimizer,
    OptimizerCheckpoint, Padding, ResNetConfig,
};

use crate::common::vector;

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "prdp-nn-test-{}-{tag}.safetensors",
        std::process::id()
    ))
}

fn resnet() -> Model<f32> {
    Model::new(Architecture::ResNet(ResNetConfig {
        grid: vec![6, 5],
        in_channels: 2,
        out_channels: 2,
        hidden_channels: 4,
        blocks: 2,
        padding: Padding::Zero,
        ..Default::default()
    }))
    .unwrap()
}

fn mlp(width: usize, activation: Activation) -> Model<f32> {
    Model::new(Architecture::Mlp(MlpConfig {
        in_features: 3,
        out_features: 2,
        width,
        depth: 2,
        activation,
        ..Default::default()
    }))
    .unwrap()
}

/// A trained-looking checkpoint: parameters and Adam moments after two updates.
fn trained(model: &Model<f32>) -> Checkpoint<f32> {
    let mut params = model.init(9);
    let opt = Optimizer::adam(LrSchedule::Constant { value: 1e-2 });
    let mut state = opt.init(params.len());
    for seed in 0..2 {
        let g: Vec<f32> = vector(seed, params.len())
            .iter()
            .map(|&v| v as f32)
            .collect();
        opt.update(&mut params, &g, &mut state).unwrap();
    }
    Checkpoint::new(
        model,
        params,
        Some(OptimizerCheckpoint { config: opt, state }),
    )
    .unwrap()
}

#[test]
fn save_load_gives_identical_outputs_and_state() {
    let model = resnet();
    let ckpt = trained(&model);
    let path = temp_path("roundtrip");
    ckpt.save(&path).unwrap();
    let back = Checkpoint::<f32>::load(&path).unwrap();
    let again = Checkpoint::<f32>::load_for(&path, &model).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back, ckpt);
    assert_eq!(again, ckpt);
    let restored = back.model().unwrap();
    let x: Vec<f32> = vector(4, 3 * model.input_size())
        .iter()
        .map(|&v| v as f32)
        .collect();
    let (mut w1, mut w2) = (model.workspace(3).unwrap(), restored.workspace(3).unwrap());
    let y1 = model.forward(&ckpt.params, &x, 3, &mut w1).unwrap();
    let y2 = restored.forward(&back.params, &x, 3, &mut w2).unwrap();
    assert_eq!(y1, y2);
    let opt = back.optimizer.unwrap();
    assert_eq!(opt.state.step, 2);
    assert_eq!(opt.state.mu.len(), model.num_params());
}

#[test]
fn equal_checkpoints_are_equal_bytes() {
    let model = resnet();
    let ckpt = trained(&model);
    let path = temp_path("twice");
    ckpt.save(&path).unwrap();
    let first = std::fs::read(&path).unwrap();
    // The metadata used to come from a `HashMap`, whose order changes with every map: one
    // equal pair of saves in eight could be luck, eight could not.
    for _ in 0..8 {
        ckpt.clone().save(&path).unwrap();
        assert!(
            std::fs::read(&path).unwrap() == first,
            "a second save differs"
        );
    }
    std::fs::remove_file(&path).unwrap();
    // The header lists the metadata first, its keys sorted, then the tensors sorted by name.
    let len = usize::try_from(u64::from_le_bytes(first[..8].try_into().unwrap())).unwrap();
    let header = std::str::from_utf8(&first[8..8 + len]).unwrap();
    let at = |key: &str| {
        header
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} not in the header"))
    };
    let keys = [
        "__metadata__",
        "architecture",
        "format",
        "format_version",
        "optimizer",
        "optimizer_step",
        "adam_m/lifting.weight",
        "adam_v/lifting.weight",
        "param/lifting.weight",
    ];
    assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])), "{header}");
    assert_eq!(Checkpoint::<f32>::from_bytes(&first).unwrap(), ckpt);
}

#[test]
fn files_are_plain_safetensors_with_named_tensors() {
    let model = mlp(4, Activation::Relu);
    let bytes = trained(&model).to_bytes().unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let w = file.tensor("param/layers.1.weight").unwrap();
    assert_eq!(w.shape(), [4, 4]);
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    assert_eq!(file.tensor("adam_v/layers.2.bias").unwrap().shape(), [2]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().as_ref().unwrap();
    assert_eq!(meta["format_version"], prdp_nn::FORMAT_VERSION.to_string());
    assert!(meta["architecture"].contains("\"kind\":\"mlp\""));
    assert_eq!(meta["optimizer_step"], "2");
}

#[test]
fn f32_checkpoints_load_as_f64() {
    let model = mlp(4, Activation::Tanh);
    let ckpt = Checkpoint::new(&model, model.init(1), None).unwrap();
    let wide = Checkpoint::<f64>::from_bytes(&ckpt.to_bytes().unwrap()).unwrap();
    assert!(
        wide.params
            .iter()
            .zip(&ckpt.params)
            .all(|(a, b)| *a == f64::from(*b))
    );
    assert!(wide.optimizer.is_none());
}

#[test]
fn mismatched_architectures_are_named() {
    let bytes = trained(&mlp(4, Activation::Relu)).to_bytes().unwrap();
    let err = Checkpoint::from_bytes_for(&bytes, &mlp(5, Activation::Relu)).unwrap_err();
    match &err {
        NnError::ShapeMismatch {
            tensor,
            expected,
            found,
        } => {
            assert_eq!(tensor, "param/layers.0.weight");
            assert_eq!(
                (expected.as_slice(), found.as_slice()),
                (&[5, 3][..], &[4, 3][..])
            );
        }
        other => panic!("expected a shape mismatch, got {other}"),
    }
    assert!(err.to_string().contains("layers.0.weight") && err.to_string().contains("[5, 3]"));
    let err = Checkpoint::from_bytes_for(&bytes, &mlp(4, Activation::Tanh)).unwrap_err();
    assert!(matches!(err, NnError::ArchitectureMismatch { .. }), "{err}");
    let err = Checkpoint::from_bytes_for(&bytes, &resnet()).unwrap_err();
    assert!(
        matches!(err, NnError::MissingTensor { ref tensor } if tensor == "param/lifting.weight"),
        "{err}"
    );
    let deeper = Model::<f32>::new(Architecture::Mlp(MlpConfig {
        in_features: 3,
        out_features: 2,
        width: 4,
        depth: 1,
        ..Default::default()
    }))
    .unwrap();
    let err = Checkpoint::from_bytes_for(&bytes, &deeper).unwrap_err();
    assert!(
        matches!(
            err,
            NnError::ShapeMismatch { .. } | NnError::UnexpectedTensor { .. }
        ),
        "{err}"
    );
}

#[test]
fn corrupted_files_are_errors() {
    let model = mlp(4, Activation::Relu);
    let bytes = trained(&model).to_bytes().unwrap();
    for cut in [0, 7, 8, 100, bytes.len() - 1] {
        assert!(
            Checkpoint::<f32>::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut garbled = bytes.clone();
    garbled[8] = b'[';
    assert!(matches!(
        Checkpoint::<f32>::from_bytes(&garbled),
        Err(NnError::Format(_))
    ));
    // Rewrites one piece of the JSON header in place (same length, so offsets stay valid).
    let swap = |from: &str, to: &str| {
        assert_eq!(from.len(), to.len());
        let at = bytes
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .unwrap_or_else(|| panic!("{from} not in the header"));
        let mut edited = bytes.clone();
        edited[at..at + to.len()].copy_from_slice(to.as_bytes());
        Checkpoint::<f32>::from_bytes(&edited)
    };
    assert!(matches!(
        swap(r#""format_version":"1""#, r#""format_version":"7""#),
        Err(NnError::Version { .. })
    ));
    assert!(matches!(
        swap(r#""format":"prdp-nn""#, r#""format":"prdp-xx""#),
        Err(NnError::Format(_))
    ));
    assert!(matches!(
        swap(r#"\"width\":4"#, r#"\"width\":0"#),
        Err(NnError::Config { .. })
    ));
    let other = safetensors::serialize(
        Vec::<(String, safetensors::tensor::TensorView)>::new(),
        None,
    )
    .unwrap();
    assert!(matches!(
        Checkpoint::<f32>::from_bytes(&other),
        Err(NnError::Format(_))
    ));
    let err = Checkpoint::<f32>::load(temp_path("does-not-exist")).unwrap_err();
    assert!(matches!(err, NnError::Io { .. }));
}

#[test]
fn checkpoints_check_vector_lengths() {
    let model = mlp(4, Activation::Relu);
    assert!(matches!(
        Checkpoint::new(&model, vec![0.0; 3], None),
        Err(NnError::Length { .. })
    ));
    let opt = Optimizer::adam(LrSchedule::default());
    let state = opt.init(2);
    let err = Checkpoint::new(
        &model,
        model.init(0),
        Some(OptimizerCheckpoint { config: opt, state }),
    )
    .unwrap_err();
    assert!(err.to_string().contains("adam_m"), "{err}");
}

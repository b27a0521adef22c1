//! Architecture configs: serde round trips, defaults, validation messages.

use prdp_nn::{
    Activation, Architecture, LayerConfig, MlpConfig, Model, NnError, Padding, ResNetConfig,
    SequentialConfig,
};

fn build(arch: Architecture) -> Result<Model<f32>, NnError> {
    Model::new(arch)
}

#[test]
fn configs_round_trip_and_reject_unknown_keys() {
    for arch in [
        Architecture::Mlp(MlpConfig::default()),
        Architecture::ResNet(ResNetConfig {
            grid: vec![20, 20, 20],
            padding: Padding::Zero,
            ..Default::default()
        }),
        Architecture::Sequential(SequentialConfig {
            input_shape: vec![2, 8],
            layers: vec![
                LayerConfig::Conv {
                    out_channels: 3,
                    kernel_size: 3,
                    padding: Padding::Circular,
                    bias: true,
                },
                LayerConfig::Residual {
                    body: vec![LayerConfig::Activation {
                        function: Activation::Gelu,
                    }],
                    activation: None,
                },
            ],
            init: Default::default(),
        }),
    ] {
        let json = serde_json::to_string(&arch).unwrap();
        assert_eq!(serde_json::from_str::<Architecture>(&json).unwrap(), arch);
    }
    let parsed: Architecture = serde_json::from_str(
        r#"{"kind": "mlp", "in_features": 900, "out_features": 900, "width": 3000}"#,
    )
    .unwrap();
    assert_eq!(
        parsed,
        Architecture::Mlp(MlpConfig {
            in_features: 900,
            out_features: 900,
            width: 3000,
            ..Default::default()
        })
    );
    let parsed: Architecture = serde_json::from_str(
        r#"{"kind": "resnet", "grid": [48, 48], "padding": "periodic", "activation": "silu"}"#,
    )
    .unwrap();
    let Architecture::ResNet(c) = parsed else {
        panic!("not a resnet")
    };
    assert_eq!(
        (c.padding, c.activation, c.blocks),
        (Padding::Circular, Activation::Swish, 6)
    );
    assert!(serde_json::from_str::<Architecture>(r#"{"kind": "mlp", "widht": 3}"#).is_err());
    assert!(
        serde_json::from_str::<Architecture>(r#"{"kind": "resnet", "grid": [8], "kernel": 3}"#)
            .is_err()
    );
    assert!(serde_json::from_str::<Architecture>(r#"{"kind": "sequential", "input_shape": [2], "layers": [{"kind": "linear", "out_features": 2, "bais": true}]}"#).is_err());
    assert_eq!(Padding::from(prdp_core::Boundary::Dirichlet), Padding::Zero);
}

fn field_of(err: NnError) -> String {
    match err {
        NnError::Config { key, .. } => key,
        other => panic!("expected Config, got {other}"),
    }
}

#[test]
fn invalid_configs_name_the_field() {
    let mlp = |f: fn(&mut MlpConfig)| {
        let mut c = MlpConfig::default();
        f(&mut c);
        field_of(build(Architecture::Mlp(c)).unwrap_err())
    };
    assert_eq!(mlp(|c| c.width = 0), "mlp.width");
    assert_eq!(mlp(|c| c.in_features = 0), "mlp.in_features");
    assert!(
        build(Architecture::Mlp(MlpConfig {
            width: 0,
            depth: 0,
            ..Default::default()
        }))
        .is_ok()
    );
    let resnet = |f: fn(&mut ResNetConfig)| {
        let mut c = ResNetConfig::default();
        f(&mut c);
        field_of(build(Architecture::ResNet(c)).unwrap_err())
    };
    assert_eq!(resnet(|c| c.grid = vec![]), "resnet.grid");
    assert_eq!(resnet(|c| c.grid = vec![4, 4, 4, 4]), "resnet.grid");
    assert_eq!(resnet(|c| c.grid = vec![2, 8]), "resnet.kernel_size");
    assert_eq!(
        resnet(|c| c.projection_kernel_size = 0),
        "resnet.projection_kernel_size"
    );
    assert_eq!(resnet(|c| c.hidden_channels = 0), "resnet.hidden_channels");
    let seq = |shape: Vec<usize>, layers: Vec<LayerConfig>| {
        field_of(
            build(Architecture::Sequential(SequentialConfig {
                input_shape: shape,
                layers,
                init: Default::default(),
            }))
            .unwrap_err(),
        )
    };
    let conv = LayerConfig::Conv {
        out_channels: 2,
        kernel_size: 3,
        padding: Padding::Zero,
        bias: true,
    };
    let lin = LayerConfig::Linear {
        out_features: 2,
        bias: true,
    };
    assert_eq!(seq(vec![4], vec![conv.clone()]), "0.input");
    assert_eq!(seq(vec![1, 4], vec![lin.clone()]), "0.input");
    assert_eq!(seq(vec![1, 2], vec![conv.clone()]), "0.kernel_size");
    assert_eq!(seq(vec![4], vec![]), "layers");
    assert_eq!(seq(vec![0], vec![lin.clone()]), "sequential.input_shape");
    assert_eq!(
        seq(
            vec![3],
            vec![LayerConfig::Residual {
                body: vec![lin.clone()],
                activation: None
            }]
        ),
        "0.body"
    );
    assert_eq!(
        seq(
            vec![3],
            vec![LayerConfig::Residual {
                body: vec![],
                activation: None
            }]
        ),
        "0.body"
    );
    let err = build(Architecture::Sequential(SequentialConfig {
        input_shape: vec![3],
        layers: vec![LayerConfig::Residual {
            body: vec![lin],
            activation: None,
        }],
        init: Default::default(),
    }))
    .unwrap_err();
    assert!(
        err.to_string().contains("[2]") && err.to_string().contains("[3]"),
        "{err}"
    );
}

//! absensi wajah: face-recognition attendance. The library behind the `backend` binary; tests start the
//! application in-process with [`startup::Application`].
pub mod api;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod export;
pub mod face_service;
pub mod security;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod uploads;

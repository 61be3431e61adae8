//! The result type of the test kit, and `SdkConfig`s for a local endpoint.

pub type TestkitResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// An `SdkConfig` for a local endpoint with dummy credentials.
pub fn local_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        // One credentials cache for every client, as aws-config's loader sets up.
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "testkit",
            )),
        )
        .build()
}

/// An `SdkConfig` for a local endpoint acting in another account: the credentials of an STS
/// AssumeRole into `role_arn` (moto answers it for any 12-digit account and role name; the
/// credentials then act in that account).
pub async fn assumed_role_config(
    endpoint: &str,
    region: &str,
    role_arn: &str,
) -> TestkitResult<aws_config::SdkConfig> {
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    let base = local_config(endpoint, region);
    let sts = aws_sdk_sts::Client::new(&base);
    let answer = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("testkit-seed")
        .send()
        .await
        .map_err(|e| {
            format!(
                "AssumeRole {role_arn}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(e)
            )
        })?;
    let c = answer
        .credentials()
        .ok_or("AssumeRole answered without credentials")?;
    let credentials = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "testkit-assumed-role",
    );
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build())
}

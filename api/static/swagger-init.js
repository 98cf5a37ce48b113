// Starts Swagger UI on /docs from the served OpenAPI document (a file, not an
// inline script, so the Content-Security-Policy holds on /docs too).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});

{#- Stops the invocation from an on-run-start guard: the failure is first appended to the audit
    trail (on-run-end does not run after a failed on-run-start), then raised. -#}
{% macro guard_failed(message) -%}
    {%- if flags.WHICH in ('build', 'run', 'seed', 'snapshot', 'test', 'retry') -%}
        {%- do gdpr_pipeline.record_audit([], failure=message) -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(message) }}
{%- endmacro %}
